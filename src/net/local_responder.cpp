#include "src/net/local_responder.hpp"

#include <cstring>

#include "src/net/wire.hpp"

namespace sy::net {

namespace {

constexpr uint8_t kArpHeaderIpv4OverEthernet[6] = {0x00, 0x01, 0x08, 0x00, 6, 4};

bool is_ipv4_over_ethernet_arp(const uint8_t* arp) {
  return std::memcmp(arp, kArpHeaderIpv4OverEthernet, sizeof kArpHeaderIpv4OverEthernet) == 0;
}

}  // namespace

bool arp_reply_in_place(uint8_t* frame, uint32_t len, uint16_t l3_offset, const Mac& own_mac,
                        uint32_t own_ip) {
  if (len < l3_offset + kArpIpv4Len) return false;
  uint8_t* arp = frame + l3_offset;
  if (!is_ipv4_over_ethernet_arp(arp) || load_be16(arp + 6) != kArpOpRequest) return false;
  if (load_be32(arp + 24) != own_ip) return false;

  uint8_t requester_mac[6];
  uint8_t requester_ip[4];
  std::memcpy(requester_mac, arp + 8, 6);
  std::memcpy(requester_ip, arp + 14, 4);

  std::memcpy(frame, requester_mac, 6);  // Ethernet destination
  std::memcpy(frame + 6, own_mac.data(), 6);
  store_be16(arp + 6, kArpOpReply);
  std::memcpy(arp + 8, own_mac.data(), 6);
  store_be32(arp + 14, own_ip);
  std::memcpy(arp + 18, requester_mac, 6);
  std::memcpy(arp + 24, requester_ip, 4);
  return true;
}

std::optional<Mac> arp_sender_mac(const uint8_t* frame, uint32_t len, uint16_t l3_offset,
                                  uint32_t ip) {
  if (len < l3_offset + kArpIpv4Len) return std::nullopt;
  const uint8_t* arp = frame + l3_offset;
  if (!is_ipv4_over_ethernet_arp(arp) || load_be32(arp + 14) != ip) return std::nullopt;
  Mac mac;
  std::memcpy(mac.data(), arp + 8, 6);
  return mac;
}

size_t build_arp_request(uint8_t* out, const Mac& own_mac, uint32_t own_ip, uint32_t target_ip) {
  std::memset(out, 0, kEtherMinFrameLen);
  std::memset(out, 0xff, 6);
  std::memcpy(out + 6, own_mac.data(), 6);
  store_be16(out + 12, kEtherTypeArp);
  uint8_t* arp = out + kEtherHeaderLen;
  std::memcpy(arp, kArpHeaderIpv4OverEthernet, sizeof kArpHeaderIpv4OverEthernet);
  store_be16(arp + 6, kArpOpRequest);
  std::memcpy(arp + 8, own_mac.data(), 6);
  store_be32(arp + 14, own_ip);
  store_be32(arp + 24, target_ip);  // target MAC stays zero
  return kEtherMinFrameLen;
}

size_t build_igmp_report(uint8_t* out, const Mac& own_mac, uint32_t own_ip, uint32_t group) {
  constexpr size_t kIhl = 24;  // 20 + Router Alert option (RFC 2236 §2)
  std::memset(out, 0, kEtherMinFrameLen);
  multicast_mac(group, out);
  std::memcpy(out + 6, own_mac.data(), 6);
  store_be16(out + 12, kEtherTypeIpv4);
  uint8_t* ip = out + kEtherHeaderLen;
  ip[0] = 0x46;
  ip[1] = 0xc0;  // DSCP CS6, as routers and hosts send IGMP
  store_be16(ip + 2, static_cast<uint16_t>(kIhl + kIgmpV2Len));
  ip[8] = 1;  // TTL 1: never routed
  ip[9] = kIpProtoIgmp;
  store_be32(ip + 12, own_ip);
  store_be32(ip + 16, group);
  ip[20] = 0x94;  // Router Alert, length 4, value 0
  ip[21] = 0x04;
  store_be16(ip + 10, inet_checksum(ip, kIhl));
  uint8_t* igmp = ip + kIhl;
  igmp[0] = kIgmpTypeV2Report;
  store_be32(igmp + 4, group);
  store_be16(igmp + 2, inet_checksum(igmp, kIgmpV2Len));
  return kEtherMinFrameLen;
}

bool is_igmp_query(const uint8_t* frame, uint32_t len, uint16_t l3_offset) {
  if (len < l3_offset + kIpv4MinHeaderLen) return false;
  const uint8_t* ip = frame + l3_offset;
  const uint32_t ihl = (ip[0] & 0x0fu) * 4u;
  if (ip[9] != kIpProtoIgmp || len < l3_offset + ihl + kIgmpV2Len) return false;
  return ip[ihl] == kIgmpTypeQuery;
}

}  // namespace sy::net
