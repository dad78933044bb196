// Frames the appliance answers or originates itself so that a real network delivers to it:
// ARP replies for its own addresses, ARP requests for its next hop, IGMPv2 membership reports
// for the feed groups. Pure functions on byte buffers, so they are tested with frames.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "conf/config.hpp"

namespace sy::net {

using Mac = conf::MacAddress;

inline constexpr uint16_t kArpOpRequest = 1;
inline constexpr uint16_t kArpOpReply = 2;
inline constexpr uint8_t kIgmpTypeQuery = 0x11;
inline constexpr uint8_t kIgmpTypeV2Report = 0x16;

// If `frame` (an ARP packet at `l3_offset`) is a request for `own_ip`, rewrites it in place into
// the reply (Ethernet and ARP addresses swapped, VLAN tag kept) and returns true.
bool arp_reply_in_place(uint8_t* frame, uint32_t len, uint16_t l3_offset, const Mac& own_mac,
                        uint32_t own_ip);

// The sender MAC of an ARP packet (request or reply) whose sender IP is `ip`, if it is one.
std::optional<Mac> arp_sender_mac(const uint8_t* frame, uint32_t len, uint16_t l3_offset,
                                  uint32_t ip);

// Broadcast "who has target_ip"; returns the frame length (60). `out` must hold 60 bytes.
size_t build_arp_request(uint8_t* out, const Mac& own_mac, uint32_t own_ip, uint32_t target_ip);

// IGMPv2 membership report for `group` (with the Router Alert option, TTL 1); returns the
// frame length (60). `out` must hold 60 bytes.
size_t build_igmp_report(uint8_t* out, const Mac& own_mac, uint32_t own_ip, uint32_t group);

// True if the IPv4 packet at `l3_offset` is an IGMP membership query.
bool is_igmp_query(const uint8_t* frame, uint32_t len, uint16_t l3_offset);

}  // namespace sy::net
