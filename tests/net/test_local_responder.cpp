// ARP and IGMP frames the appliance answers or originates, checked byte by byte.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "src/net/classifier.hpp"
#include "src/net/local_responder.hpp"
#include "src/net/wire.hpp"

namespace sy::net {
namespace {

constexpr uint32_t kOwnIp = 0x0a010002;   // 10.1.0.2
constexpr uint32_t kPeerIp = 0x0a010009;  // 10.1.0.9
const Mac kOwnMac = {0x02, 0x53, 0x59, 0, 0, 2};
const Mac kPeerMac = {0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee};

std::vector<uint8_t> arp_request_from_peer(uint32_t target, bool vlan = false) {
  std::vector<uint8_t> f(vlan ? 64 : 60, 0);
  std::memset(f.data(), 0xff, 6);
  std::memcpy(f.data() + 6, kPeerMac.data(), 6);
  size_t off = 12;
  if (vlan) {
    store_be16(&f[off], kEtherTypeVlan);
    store_be16(&f[off + 2], 42);
    off += 4;
  }
  store_be16(&f[off], kEtherTypeArp);
  uint8_t* arp = &f[off + 2];
  const uint8_t hdr[] = {0, 1, 8, 0, 6, 4, 0, 1};
  std::memcpy(arp, hdr, sizeof hdr);
  std::memcpy(arp + 8, kPeerMac.data(), 6);
  store_be32(arp + 14, kPeerIp);
  store_be32(arp + 24, target);
  return f;
}

TEST(ArpReply, AnswersRequestForOwnAddressInPlace) {
  auto f = arp_request_from_peer(kOwnIp);
  ASSERT_TRUE(arp_reply_in_place(f.data(), 60, 14, kOwnMac, kOwnIp));
  EXPECT_EQ(0, std::memcmp(f.data(), kPeerMac.data(), 6));     // to the requester
  EXPECT_EQ(0, std::memcmp(f.data() + 6, kOwnMac.data(), 6));  // from us
  EXPECT_EQ(load_be16(&f[14 + 6]), kArpOpReply);
  EXPECT_EQ(0, std::memcmp(&f[14 + 8], kOwnMac.data(), 6));  // sender = us
  EXPECT_EQ(load_be32(&f[14 + 14]), kOwnIp);
  EXPECT_EQ(0, std::memcmp(&f[14 + 18], kPeerMac.data(), 6));  // target = requester
  EXPECT_EQ(load_be32(&f[14 + 24]), kPeerIp);
}

TEST(ArpReply, KeepsVlanTag) {
  auto f = arp_request_from_peer(kOwnIp, true);
  ASSERT_TRUE(arp_reply_in_place(f.data(), 64, 18, kOwnMac, kOwnIp));
  EXPECT_EQ(load_be16(&f[12]), kEtherTypeVlan);
  EXPECT_EQ(load_be16(&f[14]), 42);
  EXPECT_EQ(load_be16(&f[18 + 6]), kArpOpReply);
}

TEST(ArpReply, IgnoresOtherTargetsRepliesAndTruncation) {
  auto other = arp_request_from_peer(kOwnIp + 1);
  EXPECT_FALSE(arp_reply_in_place(other.data(), 60, 14, kOwnMac, kOwnIp));
  auto reply = arp_request_from_peer(kOwnIp);
  store_be16(&reply[14 + 6], kArpOpReply);
  EXPECT_FALSE(arp_reply_in_place(reply.data(), 60, 14, kOwnMac, kOwnIp));
  auto cut = arp_request_from_peer(kOwnIp);
  EXPECT_FALSE(arp_reply_in_place(cut.data(), 14 + 27, 14, kOwnMac, kOwnIp));
}

TEST(ArpLearn, SenderMacOfNextHop) {
  auto f = arp_request_from_peer(kOwnIp);
  auto mac = arp_sender_mac(f.data(), 60, 14, kPeerIp);
  ASSERT_TRUE(mac.has_value());
  EXPECT_EQ(*mac, kPeerMac);
  EXPECT_FALSE(arp_sender_mac(f.data(), 60, 14, kPeerIp + 1).has_value());
}

TEST(ArpRequest, IsBroadcastWhoHas) {
  uint8_t f[60];
  ASSERT_EQ(build_arp_request(f, kOwnMac, kOwnIp, kPeerIp), 60u);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(f[i], 0xff);
  EXPECT_EQ(load_be16(f + 12), kEtherTypeArp);
  EXPECT_EQ(load_be16(f + 14 + 6), kArpOpRequest);
  EXPECT_EQ(load_be32(f + 14 + 14), kOwnIp);
  EXPECT_EQ(load_be32(f + 14 + 24), kPeerIp);
  // The peer's answer to it would be learned: simulate a reply from the peer.
  uint8_t reply[60];
  std::memcpy(reply, f, 60);
  std::memcpy(reply + 14 + 8, kPeerMac.data(), 6);
  store_be32(reply + 14 + 14, kPeerIp);
  EXPECT_EQ(arp_sender_mac(reply, 60, 14, kPeerIp), kPeerMac);
}

TEST(IgmpReport, IsValidV2ReportToTheGroup) {
  const uint32_t group = 0xe9360c6f;  // 233.54.12.111
  uint8_t f[60];
  ASSERT_EQ(build_igmp_report(f, kOwnMac, kOwnIp, group), 60u);
  const uint8_t mac[6] = {0x01, 0x00, 0x5e, 0x36, 0x0c, 0x6f};
  EXPECT_EQ(0, std::memcmp(f, mac, 6));
  const uint8_t* ip = f + 14;
  EXPECT_EQ(ip[0], 0x46);
  EXPECT_EQ(ip[8], 1);  // TTL
  EXPECT_EQ(ip[9], kIpProtoIgmp);
  EXPECT_EQ(inet_checksum(ip, 24), 0);  // a correct header sums to zero
  EXPECT_EQ(load_be32(ip + 16), group);
  EXPECT_EQ(ip[24], kIgmpTypeV2Report);
  EXPECT_EQ(inet_checksum(ip + 24, 8), 0);
  EXPECT_EQ(load_be32(ip + 24 + 4), group);
  EXPECT_FALSE(is_igmp_query(f, 60, 14));
  // And a query (type 0x11) is recognised.
  f[14 + 24] = kIgmpTypeQuery;
  EXPECT_TRUE(is_igmp_query(f, 60, 14));
}

TEST(MulticastMac, Low23BitsOfTheGroup) {
  uint8_t mac[6];
  multicast_mac(0xeffffffe, mac);  // 239.255.255.254: the 24th bit is dropped
  const uint8_t want[6] = {0x01, 0x00, 0x5e, 0x7f, 0xff, 0xfe};
  EXPECT_EQ(0, std::memcmp(mac, want, 6));
}

}  // namespace
}  // namespace sy::net
