// Classification on hand-built frames: every class, every malformed case, VLAN and wildcards.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "src/net/classifier.hpp"
#include "src/net/wire.hpp"

namespace sy::net {
namespace {

constexpr uint32_t ip(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return uint32_t{a} << 24 | uint32_t{b} << 16 | uint32_t{c} << 8 | d;
}

constexpr uint32_t kOwnIp = ip(10, 1, 0, 2);
constexpr uint32_t kGroupA = ip(233, 54, 12, 111);

// A frame written byte by byte, independent of the code under test.
struct Frame {
  std::vector<uint8_t> b;

  static Frame udp(uint32_t dst, uint16_t dport, size_t payload = 20, int vlan = -1) {
    Frame f;
    f.b.assign(12, 0x02);
    if (vlan >= 0) {
      f.be16(kEtherTypeVlan);
      f.be16(static_cast<uint16_t>(vlan));
    }
    f.be16(kEtherTypeIpv4);
    const size_t ip_at = f.b.size();
    const auto total = static_cast<uint16_t>(20 + 8 + payload);
    f.b.insert(f.b.end(), {0x45, 0x00});
    f.be16(total);
    f.b.insert(f.b.end(), {0x12, 0x34, 0x40, 0x00, 64, kIpProtoUdp, 0, 0});  // DF set
    f.be32(ip(10, 1, 0, 9));
    f.be32(dst);
    f.be16(5555);
    f.be16(dport);
    f.be16(static_cast<uint16_t>(8 + payload));
    f.be16(0);
    f.b.insert(f.b.end(), payload, 0xab);
    f.fix_ip_checksum(ip_at);
    return f;
  }

  void be16(uint16_t v) { b.insert(b.end(), {uint8_t(v >> 8), uint8_t(v)}); }
  void be32(uint32_t v) {
    be16(uint16_t(v >> 16));
    be16(uint16_t(v));
  }
  void fix_ip_checksum(size_t ip_at) {
    b[ip_at + 10] = b[ip_at + 11] = 0;
    const size_t ihl = (b[ip_at] & 0xf) * 4u;
    uint32_t sum = 0;
    for (size_t i = 0; i < ihl; i += 2) sum += uint32_t(b[ip_at + i]) << 8 | b[ip_at + i + 1];
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    b[ip_at + 10] = uint8_t(~sum >> 8);
    b[ip_at + 11] = uint8_t(~sum);
  }
};

class ClassifierTest : public ::testing::Test {
 protected:
  ClassifierTest() {
    table.classes = {{"other", Destination::drop, conf::Priority::p2},
                     {"malformed", Destination::drop, conf::Priority::p2},
                     {"local", Destination::local, conf::Priority::p0},
                     {"itch.A", Destination::integrity, conf::Priority::p0},
                     {"client1", Destination::execution, conf::Priority::p0},
                     {"tagged", Destination::execution, conf::Priority::p1},
                     {"wire1_only", Destination::integrity, conf::Priority::p1}};
    table.rules = {{0, 40002, 0, 7, 5},  // VLAN 7 only
                   {0, 26400, kGroupA, kAnyVlan, 3},
                   {0, 40001, 0, kAnyVlan, 4},
                   {1, 26400, 0, kAnyVlan, 6}};
  }
  Verdict run(const Frame& f, uint16_t port = 0, ChecksumHint hint = ChecksumHint::unknown) {
    Classifier c(table, {kOwnIp, 0}, {true, false});
    return c.classify(f.b.data(), static_cast<uint32_t>(f.b.size()), port, hint);
  }
  void expect_malformed(const Frame& f, DropReason reason) {
    const Verdict v = run(f);
    EXPECT_EQ(v.class_id, kClassMalformed);
    EXPECT_EQ(v.reason, reason) << to_string(v.reason);
  }
  ClassTable table;
};

TEST_F(ClassifierTest, MatchesGroupAndPort) {
  EXPECT_EQ(run(Frame::udp(kGroupA, 26400)).class_id, 3);
  // Same UDP port, other group: the rule names a group, so it does not match.
  const Verdict v = run(Frame::udp(ip(233, 54, 12, 112), 26400));
  EXPECT_EQ(v.class_id, kClassOther);
  EXPECT_EQ(v.reason, DropReason::unclassified);
}

TEST_F(ClassifierTest, WildcardAddressMatchesAnyDestination) {
  EXPECT_EQ(run(Frame::udp(kOwnIp, 40001)).class_id, 4);
  EXPECT_EQ(run(Frame::udp(ip(1, 2, 3, 4), 40001)).class_id, 4);
}

TEST_F(ClassifierTest, RulesArePerIngressPort) {
  EXPECT_EQ(run(Frame::udp(kGroupA, 26400), 1).class_id, 6);
  EXPECT_EQ(run(Frame::udp(kOwnIp, 40001), 1).class_id, kClassOther);
}

TEST_F(ClassifierTest, VlanRuleMatchesOnlyItsTag) {
  EXPECT_EQ(run(Frame::udp(kOwnIp, 40002, 20, 7)).class_id, 5);
  EXPECT_EQ(run(Frame::udp(kOwnIp, 40002, 20, 8)).class_id, kClassOther);
  EXPECT_EQ(run(Frame::udp(kOwnIp, 40002)).class_id, kClassOther);
  // An untagged rule accepts a tagged frame (any VLAN).
  EXPECT_EQ(run(Frame::udp(kOwnIp, 40001, 20, 9)).class_id, 4);
}

TEST_F(ClassifierTest, PaddedShortFrameIsNotMalformed) {
  Frame f = Frame::udp(kOwnIp, 40001, 2);  // 44 bytes, padded to 60 like a NIC does
  f.b.resize(60, 0);
  EXPECT_EQ(run(f).class_id, 4);
}

TEST_F(ClassifierTest, Runt) {
  Frame f;
  f.b.assign(13, 0);
  expect_malformed(f, DropReason::runt);
  Frame tagged;  // 802.1Q header cut inside the tag
  tagged.b.assign(12, 0);
  tagged.be16(kEtherTypeVlan);
  tagged.be16(7);
  expect_malformed(tagged, DropReason::runt);
}

TEST_F(ClassifierTest, TruncatedIpv4Header) {
  Frame f = Frame::udp(kOwnIp, 40001);
  f.b.resize(14 + 19);
  expect_malformed(f, DropReason::ipv4_bad_header);
}

TEST_F(ClassifierTest, BadVersion) {
  Frame f = Frame::udp(kOwnIp, 40001);
  f.b[14] = 0x65;
  f.fix_ip_checksum(14);
  expect_malformed(f, DropReason::ipv4_bad_header);
}

TEST_F(ClassifierTest, IhlBelowFive) {
  Frame f = Frame::udp(kOwnIp, 40001);
  f.b[14] = 0x44;
  expect_malformed(f, DropReason::ipv4_bad_header);
}

TEST_F(ClassifierTest, TotalLengthBeyondFrame) {
  Frame f = Frame::udp(kOwnIp, 40001);
  store_be16(&f.b[16], static_cast<uint16_t>(f.b.size()));  // claims 14 bytes more than exist
  f.fix_ip_checksum(14);
  expect_malformed(f, DropReason::ipv4_bad_header);
}

TEST_F(ClassifierTest, TotalLengthBelowHeader) {
  Frame f = Frame::udp(kOwnIp, 40001);
  store_be16(&f.b[16], 19);
  f.fix_ip_checksum(14);
  expect_malformed(f, DropReason::ipv4_bad_header);
}

TEST_F(ClassifierTest, BadChecksum) {
  Frame f = Frame::udp(kOwnIp, 40001);
  f.b[24] ^= 0xff;
  expect_malformed(f, DropReason::ipv4_bad_checksum);
}

TEST_F(ClassifierTest, NicChecksumVerdictIsTrusted) {
  Frame f = Frame::udp(kOwnIp, 40001);
  EXPECT_EQ(run(f, 0, ChecksumHint::bad).reason, DropReason::ipv4_bad_checksum);
  f.b[24] ^= 0xff;  // wrong in software, but the NIC said good: not summed again
  EXPECT_EQ(run(f, 0, ChecksumHint::good).class_id, 4);
}

TEST_F(ClassifierTest, Fragments) {
  Frame more = Frame::udp(kOwnIp, 40001);
  more.b[20] = 0x20;  // MF
  more.fix_ip_checksum(14);
  expect_malformed(more, DropReason::ipv4_fragment);
  Frame offset = Frame::udp(kOwnIp, 40001);
  offset.b[20] = 0x00;
  offset.b[21] = 0x10;
  offset.fix_ip_checksum(14);
  expect_malformed(offset, DropReason::ipv4_fragment);
}

TEST_F(ClassifierTest, UdpHeaderTruncated) {
  Frame f = Frame::udp(kOwnIp, 40001, 0);
  store_be16(&f.b[16], 20 + 7);  // IPv4 says only 7 bytes of UDP follow
  f.fix_ip_checksum(14);
  expect_malformed(f, DropReason::udp_truncated);
}

TEST_F(ClassifierTest, UdpLengthBeyondIpPayload) {
  Frame f = Frame::udp(kOwnIp, 40001, 20);
  store_be16(&f.b[14 + 20 + 4], 8 + 21);
  expect_malformed(f, DropReason::udp_truncated);
}

TEST_F(ClassifierTest, UdpLengthBelowHeader) {
  Frame f = Frame::udp(kOwnIp, 40001, 20);
  store_be16(&f.b[14 + 20 + 4], 7);
  expect_malformed(f, DropReason::udp_truncated);
}

TEST_F(ClassifierTest, NonIpv4IsOther) {
  Frame f = Frame::udp(kOwnIp, 40001);
  store_be16(&f.b[12], 0x86dd);  // IPv6
  const Verdict v = run(f);
  EXPECT_EQ(v.class_id, kClassOther);
  EXPECT_EQ(v.reason, DropReason::unclassified);
}

TEST_F(ClassifierTest, ArpForUsIsLocalArpForOthersIsOther) {
  Frame f;
  f.b.assign(12, 0xff);
  f.be16(kEtherTypeArp);
  f.b.insert(f.b.end(), {0, 1, 8, 0, 6, 4, 0, 1});
  f.b.insert(f.b.end(), 6, 0x02);
  f.be32(ip(10, 1, 0, 9));
  f.b.insert(f.b.end(), 6, 0);
  f.be32(kOwnIp);
  Verdict v = run(f);
  EXPECT_EQ(v.class_id, kClassLocal);
  EXPECT_EQ(v.local, LocalKind::arp);
  EXPECT_EQ(v.l3_offset, 14);
  store_be32(&f.b[14 + 24], ip(10, 1, 0, 77));
  EXPECT_EQ(run(f).class_id, kClassOther);
  EXPECT_EQ(run(f, 1).class_id, kClassOther);  // port 1 has no address
}

TEST_F(ClassifierTest, IgmpIsLocalOnlyWhereEnabled) {
  Frame f = Frame::udp(kGroupA, 26400);
  f.b[14 + 9] = kIpProtoIgmp;
  f.fix_ip_checksum(14);
  EXPECT_EQ(run(f, 0).local, LocalKind::igmp);
  EXPECT_EQ(run(f, 1).class_id, kClassOther);
}

TEST(ClassifierLimits, RejectsTooManyRulesOnOnePort) {
  ClassTable table;
  table.classes.resize(kFirstConfiguredClass + Classifier::kMaxRulesPerPort + 1);
  for (uint16_t i = 0; i <= Classifier::kMaxRulesPerPort; ++i)
    table.rules.push_back({0, static_cast<uint16_t>(1000 + i), 0, kAnyVlan,
                           static_cast<uint16_t>(kFirstConfiguredClass + i)});
  EXPECT_THROW(Classifier(table, {0}, {false}), std::invalid_argument);
}

}  // namespace
}  // namespace sy::net
