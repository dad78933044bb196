// Class names, destinations and rule order derived from a config.
#include <gtest/gtest.h>

#include "src/net/class_table.hpp"

namespace sy::net {
namespace {

conf::MatchConfig match(const char* port, uint16_t udp, std::optional<uint32_t> dst = {},
                        std::optional<uint16_t> vlan = {}) {
  conf::MatchConfig m;
  m.port = port;
  m.udp_dst = udp;
  m.ipv4_dst = dst;
  m.vlan = vlan;
  return m;
}

conf::Config config() {
  conf::Config cfg;
  cfg.ports.resize(2);
  cfg.ports[0].name = "wire0";
  cfg.ports[1].name = "wire1";
  conf::FeedConfig feed;
  feed.name = "itch";
  feed.priority = conf::Priority::p1;
  feed.lines = {{"A", match("wire0", 26400, 0xe9360c6f)}, {"B", match("wire1", 26401)}};
  conf::RetransmitConfig rt;
  rt.reply = match("wire0", 26402);
  feed.retransmit = rt;
  cfg.feeds.push_back(feed);
  conf::SessionConfig s;
  s.name = "client1";
  s.match = match("wire0", 40001, {}, 7);
  cfg.sessions.push_back(s);
  return cfg;
}

TEST(ClassTable, NamesDestinationsAndPriorities) {
  const ClassTable t = build_class_table(config());
  ASSERT_EQ(t.classes.size(), 7u);
  EXPECT_EQ(t.classes[kClassOther].name, "other");
  EXPECT_EQ(t.classes[kClassOther].destination, Destination::drop);
  EXPECT_EQ(t.classes[kClassMalformed].name, "malformed");
  EXPECT_EQ(t.classes[kClassLocal].name, "local");
  EXPECT_EQ(t.find("itch.A"), 3);
  EXPECT_EQ(t.find("itch.B"), 4);
  EXPECT_EQ(t.find("itch.retransmit"), 5);
  EXPECT_EQ(t.find("client1"), 6);
  EXPECT_EQ(t.find("nope"), kMaxClasses);
  EXPECT_EQ(t.classes[3].destination, Destination::integrity);
  EXPECT_EQ(t.classes[3].priority, conf::Priority::p1);
  EXPECT_EQ(t.classes[6].destination, Destination::execution);
  EXPECT_EQ(t.rules[0].class_id, 6);  // VLAN rule is the most specific
  EXPECT_EQ(t.rules[1].class_id, 3);  // then the one with an address
}

TEST(ClassTable, CapturedUnclassifiedGoesToStorage) {
  conf::Config cfg = config();
  cfg.classify.capture_unclassified = true;
  EXPECT_EQ(build_class_table(cfg).classes[kClassOther].destination, Destination::storage);
}

}  // namespace
}  // namespace sy::net
