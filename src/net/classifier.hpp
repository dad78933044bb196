// Per-packet classification: header checks, then the first matching rule of the ingress port.
//
// Runs on the rx lcores for every frame, so it is branch-light, allocation-free and inline.
// It reads only the frame bytes it is given; the DPDK side passes the NIC's checksum verdict
// so hardware-verified headers are not summed twice.
#pragma once

#include <cstdint>
#include <vector>

#include "src/common/drop_reason.hpp"
#include "src/net/class_table.hpp"
#include "src/net/wire.hpp"

namespace sy::net {

enum class ChecksumHint : uint8_t { unknown, good, bad };
enum class LocalKind : uint8_t { none, arp, igmp };

struct Verdict {
  uint16_t class_id = kClassOther;
  DropReason reason = DropReason::unclassified;  // meaningful for kClassOther / kClassMalformed
  LocalKind local = LocalKind::none;
  uint16_t l3_offset = 0;  // offset of the ARP or IPv4 header
};

class Classifier {
 public:
  static constexpr uint16_t kMaxPorts = 16;
  static constexpr uint16_t kMaxRulesPerPort = 32;

  // Flattens the table's rules per port. `own_ipv4[p]` (0 = none) and `igmp[p]` come from the
  // port config: ARP for our own address and IGMP queries are class `local` there.
  Classifier(const ClassTable& table, const std::vector<uint32_t>& own_ipv4,
             const std::vector<bool>& igmp);

  Verdict classify(const uint8_t* frame, uint32_t len, uint16_t port,
                   ChecksumHint hint = ChecksumHint::unknown) const;

 private:
  struct Rule {
    uint32_t ipv4_dst;  // 0 = any
    uint16_t udp_dst;
    int16_t vlan;  // -1 = any
    uint16_t class_id;
  };
  struct PortRules {
    uint32_t own_ipv4 = 0;
    bool igmp = false;
    uint16_t count = 0;
    Rule rules[kMaxRulesPerPort];
  };

  static Verdict malformed(DropReason r) {
    Verdict v;
    v.class_id = kClassMalformed;
    v.reason = r;
    return v;
  }

  PortRules ports_[kMaxPorts];
};

inline Verdict Classifier::classify(const uint8_t* frame, uint32_t len, uint16_t port,
                                    ChecksumHint hint) const {
  if (len < kEtherHeaderLen) [[unlikely]]
    return malformed(DropReason::runt);
  const PortRules& pr = ports_[port];

  uint32_t off = 12;
  uint16_t ether_type = load_be16(frame + off);
  int32_t vlan = kAnyVlan;
  if (ether_type == kEtherTypeVlan || ether_type == kEtherTypeQinq) {
    if (len < kEtherHeaderLen + kVlanTagLen) [[unlikely]]
      return malformed(DropReason::runt);
    vlan = load_be16(frame + off + 2) & 0x0fff;
    off += kVlanTagLen;
    ether_type = load_be16(frame + off);
  }
  off += 2;  // now the L3 offset

  Verdict v;
  v.l3_offset = static_cast<uint16_t>(off);
  if (ether_type != kEtherTypeIpv4) [[unlikely]] {
    if (ether_type == kEtherTypeArp && pr.own_ipv4 != 0 && len >= off + kArpIpv4Len &&
        load_be32(frame + off + 24) == pr.own_ipv4) {
      v.class_id = kClassLocal;
      v.local = LocalKind::arp;
    }
    return v;  // other: unclassified
  }

  const uint8_t* ip = frame + off;
  const uint32_t avail = len - off;
  if (avail < kIpv4MinHeaderLen) [[unlikely]]
    return malformed(DropReason::ipv4_bad_header);
  const uint32_t ihl = (ip[0] & 0x0fu) * 4u;
  const uint32_t total = load_be16(ip + 2);
  if ((ip[0] >> 4) != 4 || ihl < kIpv4MinHeaderLen || total < ihl || total > avail) [[unlikely]]
    return malformed(DropReason::ipv4_bad_header);
  if (hint != ChecksumHint::good) {
    const bool ok =
        hint == ChecksumHint::unknown &&
        (ihl == kIpv4MinHeaderLen ? ipv4_header20_checksum_ok(ip) : inet_checksum(ip, ihl) == 0);
    if (!ok) [[unlikely]]
      return malformed(DropReason::ipv4_bad_checksum);
  }
  if ((load_be16(ip + 6) & 0x3fffu) != 0) [[unlikely]]  // MF flag or a fragment offset
    return malformed(DropReason::ipv4_fragment);

  const uint8_t proto = ip[9];
  if (proto == kIpProtoUdp) [[likely]] {
    const uint32_t ip_payload = total - ihl;
    if (ip_payload < kUdpHeaderLen) [[unlikely]]
      return malformed(DropReason::udp_truncated);
    const uint8_t* udp = ip + ihl;
    const uint32_t udp_len = load_be16(udp + 4);
    if (udp_len < kUdpHeaderLen || udp_len > ip_payload) [[unlikely]]
      return malformed(DropReason::udp_truncated);
    const uint16_t dport = load_be16(udp + 2);
    const uint32_t daddr = load_be32(ip + 16);
    for (uint16_t i = 0; i < pr.count; ++i) {
      const Rule& r = pr.rules[i];
      if (r.udp_dst == dport && (r.ipv4_dst == 0 || r.ipv4_dst == daddr) &&
          (r.vlan < 0 || r.vlan == vlan)) {
        v.class_id = r.class_id;
        return v;
      }
    }
    return v;
  }
  if (proto == kIpProtoIgmp && pr.igmp) {
    v.class_id = kClassLocal;
    v.local = LocalKind::igmp;
  }
  return v;
}

}  // namespace sy::net
