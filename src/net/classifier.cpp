#include "src/net/classifier.hpp"

#include <cassert>
#include <stdexcept>
#include <string>

namespace sy::net {

Classifier::Classifier(const ClassTable& table, const std::vector<uint32_t>& own_ipv4,
                       const std::vector<bool>& igmp) {
  if (own_ipv4.size() > kMaxPorts || igmp.size() != own_ipv4.size())
    throw std::invalid_argument("classifier: at most " + std::to_string(kMaxPorts) + " ports");
  for (size_t p = 0; p < own_ipv4.size(); ++p) {
    ports_[p].own_ipv4 = own_ipv4[p];
    ports_[p].igmp = igmp[p];
  }
  for (const MatchRule& m : table.rules) {
    if (m.port_index >= own_ipv4.size())
      throw std::invalid_argument("classifier: rule for an unknown port index");
    PortRules& pr = ports_[m.port_index];
    if (pr.count == kMaxRulesPerPort)
      throw std::invalid_argument("classifier: more than " + std::to_string(kMaxRulesPerPort) +
                                  " classes on one port");
    assert(m.class_id >= kFirstConfiguredClass && m.class_id < table.classes.size());
    pr.rules[pr.count++] = Rule{m.ipv4_dst, m.udp_dst, static_cast<int16_t>(m.vlan), m.class_id};
  }
}

}  // namespace sy::net
