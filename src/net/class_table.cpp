#include "src/net/class_table.hpp"

#include <algorithm>
#include <cassert>

namespace sy::net {

const char* to_string(Destination d) {
  switch (d) {
    case Destination::integrity:
      return "integrity";
    case Destination::execution:
      return "execution";
    case Destination::storage:
      return "storage";
    case Destination::drop:
      return "drop";
    case Destination::local:
      return "local";
  }
  return "?";
}

uint16_t ClassTable::find(const std::string& name) const {
  for (size_t i = 0; i < classes.size(); ++i)
    if (classes[i].name == name) return static_cast<uint16_t>(i);
  return kMaxClasses;
}

namespace {

uint16_t port_index(const conf::Config& cfg, const std::string& name) {
  for (size_t i = 0; i < cfg.ports.size(); ++i)
    if (cfg.ports[i].name == name) return static_cast<uint16_t>(i);
  // conf::load guarantees every referenced port exists.
  assert(false && "match references an undefined port");
  return 0;
}

void add_class(const conf::Config& cfg, ClassTable& table, std::string name, Destination dest,
               conf::Priority prio, const conf::MatchConfig& match) {
  assert(table.classes.size() < kMaxClasses);
  const auto id = static_cast<uint16_t>(table.classes.size());
  table.classes.push_back({std::move(name), dest, prio});
  MatchRule rule;
  rule.port_index = port_index(cfg, match.port);
  rule.udp_dst = match.udp_dst;
  rule.ipv4_dst = match.ipv4_dst.value_or(0);
  rule.vlan = match.vlan ? static_cast<int32_t>(*match.vlan) : kAnyVlan;
  rule.class_id = id;
  table.rules.push_back(rule);
}

}  // namespace

ClassTable build_class_table(const conf::Config& cfg) {
  ClassTable table;
  const Destination other_dest =
      cfg.classify.capture_unclassified ? Destination::storage : Destination::drop;
  table.classes.push_back({"other", other_dest, cfg.classify.unclassified_priority});
  table.classes.push_back({"malformed", Destination::drop, conf::Priority::p2});
  table.classes.push_back({"local", Destination::local, conf::Priority::p0});
  for (const auto& feed : cfg.feeds) {
    for (const auto& line : feed.lines)
      add_class(cfg, table, feed.name + "." + line.name, Destination::integrity, feed.priority,
                line.match);
    if (feed.retransmit)
      add_class(cfg, table, feed.name + ".retransmit", Destination::integrity, feed.priority,
                feed.retransmit->reply);
  }
  for (const auto& session : cfg.sessions)
    add_class(cfg, table, session.name, Destination::execution, session.priority, session.match);

  // First match wins, so the most specific rules go first.
  auto specificity = [](const MatchRule& r) {
    return (r.vlan != kAnyVlan ? 2 : 0) + (r.ipv4_dst != 0 ? 1 : 0);
  };
  std::stable_sort(
      table.rules.begin(), table.rules.end(),
      [&](const MatchRule& a, const MatchRule& b) { return specificity(a) > specificity(b); });
  return table;
}

}  // namespace sy::net
