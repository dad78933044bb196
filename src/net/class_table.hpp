// The traffic classes of a configuration and the rules that recognise them.
//
// Built once from the frozen config, before launch. The appliance's classifier and the traffic
// generator's ground truth both use it, so a class is named the same everywhere: "<feed>.<line>",
// "<feed>.retransmit", "<session>", plus the fixed classes below.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "conf/config.hpp"

namespace sy::net {

// Which lcore a class is handed to.
enum class Destination : uint8_t { integrity, execution, storage, drop, local };
const char* to_string(Destination d);

inline constexpr uint16_t kClassOther = 0;      // well-formed but matched no rule
inline constexpr uint16_t kClassMalformed = 1;  // failed a header check
inline constexpr uint16_t kClassLocal = 2;      // ARP/IGMP for the appliance itself
inline constexpr uint16_t kFirstConfiguredClass = 3;
inline constexpr uint16_t kMaxClasses = 64;  // bounds per-lcore counter tables
inline constexpr int32_t kAnyVlan = -1;

struct ClassInfo {
  std::string name;
  Destination destination = Destination::drop;
  conf::Priority priority = conf::Priority::p2;
};

struct MatchRule {
  uint16_t port_index = 0;  // index into Config::ports
  uint16_t udp_dst = 0;
  uint32_t ipv4_dst = 0;    // host order; 0 = any
  int32_t vlan = kAnyVlan;  // 0..4095 or kAnyVlan
  uint16_t class_id = 0;
};

struct ClassTable {
  std::vector<ClassInfo> classes;  // indexed by class id
  std::vector<MatchRule> rules;    // most specific first (vlan and address before wildcards)

  uint16_t find(const std::string& name) const;  // kMaxClasses when absent
};

ClassTable build_class_table(const conf::Config& cfg);

}  // namespace sy::net
