#include "perf/traffic/frame_builder.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "src/net/wire.hpp"

namespace sy::traffic {
namespace {

using net::inet_checksum;
using net::load_be16;
using net::store_be16;
using net::store_be32;

constexpr uint16_t kIpv4FlagDf = 0x4000;
constexpr uint16_t kIpv4FlagMf = 0x2000;
constexpr uint16_t kIpv4MaxTotalLen = 0xffff;
constexpr uint8_t kDscpCs6 = 48;  // "internetwork control", what IGMP is sent with
constexpr uint8_t kRouterAlert[4] = {0x94, 0x04, 0x00, 0x00};  // RFC 2113
constexpr uint8_t kIcmpEchoRequest = 8;
constexpr uint8_t kIgmpQuery = 0x11;
constexpr uint8_t kIgmpV2Report = 0x16;

size_t l2_len(const EthernetSpec& eth) {
  return net::kEtherHeaderLen + (eth.vlan ? net::kVlanTagLen : 0);
}

void append_be16(Frame& f, uint16_t v) {
  uint8_t b[2];
  store_be16(b, v);
  f.insert(f.end(), b, b + 2);
}

void append_be32(Frame& f, uint32_t v) {
  uint8_t b[4];
  store_be32(b, v);
  f.insert(f.end(), b, b + 4);
}

void append_ethernet(Frame& f, const EthernetSpec& eth, uint16_t ether_type) {
  f.insert(f.end(), eth.dst.begin(), eth.dst.end());
  f.insert(f.end(), eth.src.begin(), eth.src.end());
  if (eth.vlan) {
    if (*eth.vlan > 4095 || eth.pcp > 7)
      throw std::invalid_argument("802.1Q tag: VID must be 0..4095 and PCP 0..7");
    append_be16(f, net::kEtherTypeVlan);
    append_be16(f, static_cast<uint16_t>(eth.pcp << 13 | *eth.vlan));
  }
  append_be16(f, ether_type);
}

// (Re)computes the header checksum of the IPv4 header at `off`. Defective headers with IHL < 5
// are summed over the 20 bytes that are there, so that the checksum is not a second defect.
void seal_ipv4(Frame& f, size_t off) {
  uint8_t* ip = f.data() + off;
  size_t header_len = std::max<size_t>((ip[0] & 0x0fu) * 4u, net::kIpv4MinHeaderLen);
  header_len = std::min(header_len, f.size() - off);
  store_be16(ip + 10, 0);
  store_be16(ip + 10, inet_checksum(ip, header_len));
}

// Appends an IPv4 header (with `options`, a multiple of 4 bytes) announcing `payload_len` bytes.
void append_ipv4(Frame& f, const Ipv4Spec& ip, uint8_t protocol, size_t payload_len,
                 std::span<const uint8_t> options = {}) {
  const size_t header_len = net::kIpv4MinHeaderLen + options.size();
  if (header_len + payload_len > kIpv4MaxTotalLen)
    throw std::invalid_argument("IPv4 packet of " + std::to_string(header_len + payload_len) +
                                " bytes exceeds 65535");
  if (ip.dscp > 63) throw std::invalid_argument("IPv4 DSCP must be 0..63");
  const size_t off = f.size();
  f.push_back(static_cast<uint8_t>(0x40 | header_len / 4));
  f.push_back(static_cast<uint8_t>(ip.dscp << 2));
  append_be16(f, static_cast<uint16_t>(header_len + payload_len));
  append_be16(f, ip.id);
  append_be16(f, ip.dont_fragment ? kIpv4FlagDf : 0);
  f.push_back(ip.ttl);
  f.push_back(protocol);
  append_be16(f, 0);  // checksum, sealed below
  append_be32(f, ip.src);
  append_be32(f, ip.dst);
  f.insert(f.end(), options.begin(), options.end());
  seal_ipv4(f, off);
}

// RFC 768: one's complement sum over the pseudo header and the datagram; a computed 0 is sent
// as 0xffff because 0 means "no checksum".
uint16_t udp_checksum(uint32_t src, uint32_t dst, const uint8_t* udp, size_t len) {
  const uint32_t pseudo = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) +
                          net::kIpProtoUdp + static_cast<uint32_t>(len);
  const uint16_t sum = inet_checksum(udp, len, pseudo);
  return sum == 0 ? 0xffff : sum;
}

// Zero padding up to the Ethernet minimum, as a NIC adds it on transmit.
void pad(Frame& f) {
  if (f.size() < net::kEtherMinFrameLen) f.resize(net::kEtherMinFrameLen, 0);
}

Frame build_igmp(const IgmpSpec& spec, uint8_t type, uint8_t max_resp, uint32_t dst) {
  EthernetSpec eth;
  net::multicast_mac(dst, eth.dst.data());
  eth.src = spec.src_mac;
  eth.vlan = spec.vlan;
  Ipv4Spec ip;
  ip.src = spec.src_ip;
  ip.dst = dst;
  ip.ttl = 1;
  ip.dscp = kDscpCs6;
  ip.dont_fragment = false;
  Frame f;
  append_ethernet(f, eth, net::kEtherTypeIpv4);
  append_ipv4(f, ip, net::kIpProtoIgmp, net::kIgmpV2Len, kRouterAlert);
  const size_t off = f.size();
  f.push_back(type);
  f.push_back(max_resp);
  append_be16(f, 0);
  append_be32(f, spec.group);
  store_be16(f.data() + off + 2, inet_checksum(f.data() + off, net::kIgmpV2Len));
  pad(f);
  return f;
}

}  // namespace

Frame build_udp(const UdpSpec& spec, std::span<const uint8_t> payload) {
  const size_t udp_len = net::kUdpHeaderLen + payload.size();
  Frame f;
  f.reserve(std::max(l2_len(spec.eth) + net::kIpv4MinHeaderLen + udp_len, net::kEtherMinFrameLen));
  append_ethernet(f, spec.eth, net::kEtherTypeIpv4);
  append_ipv4(f, spec.ip, net::kIpProtoUdp, udp_len);
  const size_t off = f.size();
  append_be16(f, spec.src_port);
  append_be16(f, spec.dst_port);
  append_be16(f, static_cast<uint16_t>(udp_len));
  append_be16(f, 0);
  f.insert(f.end(), payload.begin(), payload.end());
  if (spec.checksum)
    store_be16(f.data() + off + 6, udp_checksum(spec.ip.src, spec.ip.dst, f.data() + off, udp_len));
  pad(f);
  return f;
}

Frame build_ipv4(const EthernetSpec& eth, const Ipv4Spec& ip, uint8_t protocol,
                 std::span<const uint8_t> l4) {
  Frame f;
  append_ethernet(f, eth, net::kEtherTypeIpv4);
  append_ipv4(f, ip, protocol, l4.size());
  f.insert(f.end(), l4.begin(), l4.end());
  pad(f);
  return f;
}

Frame build_icmp_echo(const EthernetSpec& eth, const Ipv4Spec& ip, uint16_t ident, uint16_t seq,
                      std::span<const uint8_t> data) {
  Frame icmp = {kIcmpEchoRequest, 0, 0, 0};
  append_be16(icmp, ident);
  append_be16(icmp, seq);
  icmp.insert(icmp.end(), data.begin(), data.end());
  store_be16(icmp.data() + 2, inet_checksum(icmp.data(), icmp.size()));
  return build_ipv4(eth, ip, kIpProtoIcmp, icmp);
}

Frame build_arp(const ArpSpec& spec) {
  Frame f;
  append_ethernet(f, spec.eth, net::kEtherTypeArp);
  append_be16(f, 1);  // hardware type: Ethernet
  append_be16(f, net::kEtherTypeIpv4);
  f.push_back(6);  // hardware address length
  f.push_back(4);  // protocol address length
  append_be16(f, static_cast<uint16_t>(spec.op));
  f.insert(f.end(), spec.sender_mac.begin(), spec.sender_mac.end());
  append_be32(f, spec.sender_ip);
  f.insert(f.end(), spec.target_mac.begin(), spec.target_mac.end());
  append_be32(f, spec.target_ip);
  pad(f);
  return f;
}

Frame build_igmp_query(const IgmpSpec& spec) {
  return build_igmp(spec, kIgmpQuery, spec.max_resp_time_ds,
                    spec.group == 0 ? kAllHostsGroup : spec.group);
}

Frame build_igmp_report(const IgmpSpec& spec) {
  if (!net::is_multicast_ipv4(spec.group))
    throw std::invalid_argument("IGMP report: the group must be an IPv4 multicast address");
  return build_igmp(spec, kIgmpV2Report, 0, spec.group);
}

const char* to_string(Defect d) {
  switch (d) {
    case Defect::runt_ethernet:
      return "runt_ethernet";
    case Defect::runt_vlan:
      return "runt_vlan";
    case Defect::ipv4_truncated:
      return "ipv4_truncated";
    case Defect::ipv4_version:
      return "ipv4_version";
    case Defect::ipv4_ihl:
      return "ipv4_ihl";
    case Defect::ipv4_total_length_short:
      return "ipv4_total_length_short";
    case Defect::ipv4_total_length_long:
      return "ipv4_total_length_long";
    case Defect::ipv4_checksum:
      return "ipv4_checksum";
    case Defect::ipv4_more_fragments:
      return "ipv4_more_fragments";
    case Defect::ipv4_fragment_offset:
      return "ipv4_fragment_offset";
    case Defect::udp_header_truncated:
      return "udp_header_truncated";
    case Defect::udp_length_short:
      return "udp_length_short";
    case Defect::udp_length_long:
      return "udp_length_long";
  }
  return "?";
}

DropReason drop_reason(Defect d) {
  switch (d) {
    case Defect::runt_ethernet:
    case Defect::runt_vlan:
      return DropReason::runt;
    case Defect::ipv4_truncated:
    case Defect::ipv4_version:
    case Defect::ipv4_ihl:
    case Defect::ipv4_total_length_short:
    case Defect::ipv4_total_length_long:
      return DropReason::ipv4_bad_header;
    case Defect::ipv4_checksum:
      return DropReason::ipv4_bad_checksum;
    case Defect::ipv4_more_fragments:
    case Defect::ipv4_fragment_offset:
      return DropReason::ipv4_fragment;
    case Defect::udp_header_truncated:
    case Defect::udp_length_short:
    case Defect::udp_length_long:
      return DropReason::udp_truncated;
  }
  return DropReason::unclassified;
}

bool in_wire_mix(Defect d) { return d != Defect::ipv4_truncated; }

Frame build_defective(Defect d, const UdpSpec& spec, std::span<const uint8_t> payload) {
  UdpSpec s = spec;
  if (d == Defect::runt_vlan && !s.eth.vlan) s.eth.vlan = 0;
  if (d == Defect::ipv4_more_fragments || d == Defect::ipv4_fragment_offset)
    s.ip.dont_fragment = false;  // DF together with MF would be a contradiction of its own
  if (drop_reason(d) == DropReason::udp_truncated) s.checksum = false;

  Frame f = build_udp(s, payload);
  const size_t l3 = l2_len(s.eth);
  uint8_t* ip = f.data() + l3;
  uint8_t* udp = ip + net::kIpv4MinHeaderLen;
  const auto ip_total = load_be16(ip + 2);
  switch (d) {
    case Defect::runt_ethernet:
      f.resize(net::kEtherHeaderLen - 1);
      return f;
    case Defect::runt_vlan:
      f.resize(net::kEtherHeaderLen + net::kVlanTagLen - 1);
      return f;
    case Defect::ipv4_truncated:
      f.resize(l3 + net::kIpv4MinHeaderLen - 1);
      return f;
    case Defect::ipv4_version:
      ip[0] = 0x65;
      break;
    case Defect::ipv4_ihl:
      ip[0] = 0x44;
      break;
    case Defect::ipv4_total_length_short:
      store_be16(ip + 2, net::kIpv4MinHeaderLen - 1);
      break;
    case Defect::ipv4_total_length_long: {
      const size_t available = f.size() - l3;
      if (available >= kIpv4MaxTotalLen)
        throw std::invalid_argument("ipv4_total_length_long: the frame is too long to overstate");
      store_be16(ip + 2, static_cast<uint16_t>(available + 1));
      break;
    }
    case Defect::ipv4_checksum:
      // Any change but 0xffff keeps it wrong: 0x0000 and 0xffff are the same one's complement
      // value, so flipping all bits of a 0 or 0xffff checksum could still verify.
      store_be16(ip + 10, load_be16(ip + 10) ^ 0x0100);
      return f;
    case Defect::ipv4_more_fragments:
      store_be16(ip + 6, kIpv4FlagMf);
      break;
    case Defect::ipv4_fragment_offset:
      store_be16(ip + 6, 1480 / 8);
      break;
    case Defect::udp_header_truncated:
      // Keep only the ports of the UDP header; the padding then stands where the rest was.
      f.resize(l3 + net::kIpv4MinHeaderLen + 4);
      store_be16(f.data() + l3 + 2, static_cast<uint16_t>(net::kIpv4MinHeaderLen + 4));
      seal_ipv4(f, l3);
      pad(f);
      return f;
    case Defect::udp_length_short:
      store_be16(udp + 4, net::kUdpHeaderLen - 1);
      return f;
    case Defect::udp_length_long:
      store_be16(udp + 4, static_cast<uint16_t>(ip_total - net::kIpv4MinHeaderLen + 1));
      return f;
  }
  seal_ipv4(f, l3);
  return f;
}

}  // namespace sy::traffic
