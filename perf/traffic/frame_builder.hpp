// Builders of complete Ethernet frames (without FCS), well-formed or broken on purpose.
//
// Every well-formed frame is padded with zeros to 60 bytes like a NIC pads on transmit; the
// padding never changes the IPv4 total length. Addresses are in host byte order (as in conf::).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "conf/config.hpp"
#include "src/common/drop_reason.hpp"

namespace sy::traffic {

using Frame = std::vector<uint8_t>;
using conf::MacAddress;

inline constexpr MacAddress kBroadcastMac = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
inline constexpr uint8_t kIpProtoIcmp = 1;
inline constexpr uint32_t kAllHostsGroup = 0xe0000001;  // 224.0.0.1
// The largest UDP payload that keeps an untagged frame within 1514 bytes (MTU 1500).
inline constexpr uint32_t kMaxUdpPayload = 1472;

struct EthernetSpec {
  MacAddress dst{};
  MacAddress src{};
  std::optional<uint16_t> vlan;  // 802.1Q VID 0..4095: a tag is inserted when present
  uint8_t pcp = 0;               // 802.1p priority carried in the tag, 0..7
};

struct Ipv4Spec {
  uint32_t src = 0;
  uint32_t dst = 0;
  uint8_t ttl = 64;
  uint8_t dscp = 0;
  uint16_t id = 0;
  bool dont_fragment = true;
};

struct UdpSpec {
  EthernetSpec eth;
  Ipv4Spec ip;
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  bool checksum = true;  // false: 0, "no checksum", which UDP over IPv4 allows
};

// IPv4/UDP datagram carrying `payload`. Throws std::invalid_argument if it cannot fit IPv4.
Frame build_udp(const UdpSpec& spec, std::span<const uint8_t> payload);

// IPv4 packet of any protocol whose L4 bytes (header included) are ready-made.
Frame build_ipv4(const EthernetSpec& eth, const Ipv4Spec& ip, uint8_t protocol,
                 std::span<const uint8_t> l4);

// ICMP echo request: the well-formed, non-UDP IPv4 packet of the mixes.
Frame build_icmp_echo(const EthernetSpec& eth, const Ipv4Spec& ip, uint16_t ident, uint16_t seq,
                      std::span<const uint8_t> data);

enum class ArpOp : uint16_t { request = 1, reply = 2 };

// ARP for IPv4 over Ethernet (RFC 826). A request normally goes to kBroadcastMac with a zero
// target MAC; a reply goes to the requester.
struct ArpSpec {
  EthernetSpec eth;
  ArpOp op = ArpOp::request;
  MacAddress sender_mac{};
  uint32_t sender_ip = 0;
  MacAddress target_mac{};
  uint32_t target_ip = 0;
};
Frame build_arp(const ArpSpec& spec);

// IGMPv2 (RFC 2236) sent as hosts and routers do: TTL 1, Router Alert option (so IHL is 6),
// IPv4 and Ethernet destinations derived from the group.
struct IgmpSpec {
  MacAddress src_mac{};
  std::optional<uint16_t> vlan;
  uint32_t src_ip = 0;
  uint32_t group = 0;              // query: 0 = general query (sent to 224.0.0.1)
  uint8_t max_resp_time_ds = 100;  // query only, tenths of a second
};
Frame build_igmp_query(const IgmpSpec& spec);
Frame build_igmp_report(const IgmpSpec& spec);  // v2 membership report, sent to the group

// One way of breaking a frame. Each violates exactly one of the appliance's header checks,
// named by drop_reason(); every other field (checksums included) stays consistent.
enum class Defect : uint8_t {
  runt_ethernet,            // runt: 13 bytes, less than an Ethernet header
  runt_vlan,                // runt: 17 bytes, an 802.1Q tag but no room for the inner type
  ipv4_truncated,           // ipv4_bad_header: 19 IPv4 header bytes, unpadded (see in_wire_mix)
  ipv4_version,             // ipv4_bad_header: version 6 in an IPv4 EtherType
  ipv4_ihl,                 // ipv4_bad_header: IHL 4
  ipv4_total_length_short,  // ipv4_bad_header: total_length 19 < IHL*4
  ipv4_total_length_long,   // ipv4_bad_header: total_length one past the bytes after L2
  ipv4_checksum,            // ipv4_bad_checksum
  ipv4_more_fragments,      // ipv4_fragment: first fragment (MF set, offset 0)
  ipv4_fragment_offset,     // ipv4_fragment: last fragment (MF clear, offset 1480)
  udp_header_truncated,     // udp_truncated: IPv4 payload of 4 bytes
  udp_length_short,         // udp_truncated: UDP length 7
  udp_length_long,          // udp_truncated: UDP length one past the IPv4 payload
};

inline constexpr Defect kAllDefects[] = {
    Defect::runt_ethernet,
    Defect::runt_vlan,
    Defect::ipv4_truncated,
    Defect::ipv4_version,
    Defect::ipv4_ihl,
    Defect::ipv4_total_length_short,
    Defect::ipv4_total_length_long,
    Defect::ipv4_checksum,
    Defect::ipv4_more_fragments,
    Defect::ipv4_fragment_offset,
    Defect::udp_header_truncated,
    Defect::udp_length_short,
    Defect::udp_length_long,
};

const char* to_string(Defect d);
DropReason drop_reason(Defect d);

// False only for ipv4_truncated. Every frame but a runt is zero-padded to 60 bytes, which always
// leaves 20 bytes after L2, so a truncated IPv4 header cannot come off a wire; the appliance
// still checks for it, hence the builder. Mixes use only the defects for which this is true.
bool in_wire_mix(Defect d);

// build_udp(spec, payload) broken by `d`. Runts are truncations (no padding); runt_vlan uses
// spec.eth.vlan or VID 0. UDP checksums of the udp_* defects are 0 since their lengths lie.
Frame build_defective(Defect d, const UdpSpec& spec, std::span<const uint8_t> payload);

}  // namespace sy::traffic
