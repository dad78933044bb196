// On-the-wire layouts of the L2-L4 headers the appliance reads and writes.
//
// Multi-byte fields are big-endian on the wire; use load_be/store_be, never the raw member.
// No DPDK dependency: the classifier, the traffic library and the tests share these.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace sy::net {

inline constexpr uint16_t kEtherTypeIpv4 = 0x0800;
inline constexpr uint16_t kEtherTypeArp = 0x0806;
inline constexpr uint16_t kEtherTypeVlan = 0x8100;
inline constexpr uint16_t kEtherTypeQinq = 0x88a8;
inline constexpr uint8_t kIpProtoIgmp = 2;
inline constexpr uint8_t kIpProtoUdp = 17;

inline constexpr size_t kEtherHeaderLen = 14;
inline constexpr size_t kVlanTagLen = 4;
inline constexpr size_t kIpv4MinHeaderLen = 20;
inline constexpr size_t kUdpHeaderLen = 8;
inline constexpr size_t kArpIpv4Len = 28;
inline constexpr size_t kIgmpV2Len = 8;
inline constexpr size_t kEtherMinFrameLen = 60;  // without FCS

inline uint16_t load_be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
inline uint32_t load_be32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}
inline uint64_t load_be64(const uint8_t* p) {
  return uint64_t{load_be32(p)} << 32 | load_be32(p + 4);
}
inline void store_be16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
inline void store_be32(uint8_t* p, uint32_t v) {
  store_be16(p, static_cast<uint16_t>(v >> 16));
  store_be16(p + 2, static_cast<uint16_t>(v));
}
inline void store_be64(uint8_t* p, uint64_t v) {
  store_be32(p, static_cast<uint32_t>(v >> 32));
  store_be32(p + 4, static_cast<uint32_t>(v));
}

// Internet checksum (RFC 1071) over `len` bytes; returns the value to store (already complemented).
inline uint16_t inet_checksum(const uint8_t* p, size_t len, uint32_t seed = 0) {
  uint32_t sum = seed;
  for (; len > 1; p += 2, len -= 2) sum += load_be16(p);
  if (len) sum += uint32_t{p[0]} << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

inline constexpr size_t kUdp4HeadersLen = kEtherHeaderLen + kIpv4MinHeaderLen + kUdpHeaderLen;

// Writes Ethernet + IPv4 (20 bytes, DF, TTL 64, checksummed) + UDP (checksum 0, which IPv4
// allows) headers in front of a `payload_len`-byte payload at frame + kUdp4HeadersLen.
// Addresses and ports in host order.
inline void write_udp4_headers(uint8_t* frame, const uint8_t dst_mac[6], const uint8_t src_mac[6],
                               uint32_t src_ip, uint32_t dst_ip, uint16_t src_port,
                               uint16_t dst_port, size_t payload_len) {
  for (int i = 0; i < 6; ++i) frame[i] = dst_mac[i];
  for (int i = 0; i < 6; ++i) frame[6 + i] = src_mac[i];
  store_be16(frame + 12, kEtherTypeIpv4);
  uint8_t* ip = frame + kEtherHeaderLen;
  ip[0] = 0x45;
  ip[1] = 0;
  store_be16(ip + 2, static_cast<uint16_t>(kIpv4MinHeaderLen + kUdpHeaderLen + payload_len));
  store_be16(ip + 4, 0);
  ip[6] = 0x40;  // DF
  ip[7] = 0;
  ip[8] = 64;
  ip[9] = kIpProtoUdp;
  store_be16(ip + 10, 0);
  store_be32(ip + 12, src_ip);
  store_be32(ip + 16, dst_ip);
  store_be16(ip + 10, inet_checksum(ip, kIpv4MinHeaderLen));
  uint8_t* udp = ip + kIpv4MinHeaderLen;
  store_be16(udp, src_port);
  store_be16(udp + 2, dst_port);
  store_be16(udp + 4, static_cast<uint16_t>(kUdpHeaderLen + payload_len));
  store_be16(udp + 6, 0);
}

// True if a 20-byte IPv4 header (IHL 5, the common case) carries a correct checksum. Ones'
// complement sums do not depend on byte order, so native 32-bit loads are summed and folded.
inline bool ipv4_header20_checksum_ok(const uint8_t* ip) {
  uint32_t w[5];
  std::memcpy(w, ip, sizeof w);
  uint64_t sum = uint64_t{w[0]} + w[1] + w[2] + w[3] + w[4];
  sum = (sum & 0xffffffff) + (sum >> 32);
  sum = (sum & 0xffffffff) + (sum >> 32);
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return sum == 0xffff;
}

// The Ethernet MAC of an IPv4 multicast group (01:00:5e + low 23 bits).
inline void multicast_mac(uint32_t group_host_order, uint8_t mac[6]) {
  mac[0] = 0x01;
  mac[1] = 0x00;
  mac[2] = 0x5e;
  mac[3] = static_cast<uint8_t>((group_host_order >> 16) & 0x7f);
  mac[4] = static_cast<uint8_t>(group_host_order >> 8);
  mac[5] = static_cast<uint8_t>(group_host_order);
}

inline bool is_multicast_ipv4(uint32_t addr_host_order) { return (addr_host_order >> 28) == 0xe; }

}  // namespace sy::net
