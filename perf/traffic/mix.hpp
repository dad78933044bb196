// Deterministic traffic mixes for one port of a configuration, with their ground truth.
//
// Each frame is drawn from a weighted category; within a category classes and variants take
// turns (round robin), so every class appears. Payload sizes and bytes come from a seeded
// SplitMix64: the same (config, spec) gives the same bytes on every host and compiler.
//
// Addressing: a class's frames go to the port's own MAC and IPv4 unless the match names an
// ipv4_dst (a multicast group then goes to its 01:00:5e MAC), carry the match's VLAN tag when it
// has one, and come from a fixed fake peer per class (MAC 02:50:45:45:52:<id>, IPv4
// 198.18.1.<id>; a retransmit reply comes from its server_ipv4:server_udp).
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "conf/config.hpp"
#include "perf/traffic/frame_builder.hpp"
#include "perf/traffic/rng.hpp"
#include "src/common/drop_reason.hpp"
#include "src/net/class_table.hpp"

namespace sy::traffic {

// Stand-ins for a port whose config leaves its MAC (the device's) or IPv4 unset.
inline constexpr MacAddress kUnknownPortMac = {0x02, 0x53, 0x59, 0xff, 0xff, 0xfe};
inline constexpr uint32_t kUnknownPortIpv4 = 0x0afffffe;  // 10.255.255.254

// Relative weights of the categories; a category's share is weight / sum of weights.
struct MixWeights {
  uint32_t lines = 70;     // "<feed>.<line>" and "<feed>.retransmit" classes on the port
  uint32_t sessions = 20;  // session classes on the port
  uint32_t other = 5;      // well-formed but matching no rule: UDP, foreign ARP, ICMP
  uint32_t malformed = 5;  // one Defect each, cycling over the drop reasons
  uint32_t local = 0;      // ARP for the port's IPv4, IGMP queries if the port has igmp
};

// "lines=70,sessions=20,other=5,malformed=5,local=0"; keys left out weigh 0.
// Throws std::invalid_argument naming the offending item.
MixWeights parse_mix(std::string_view text);

struct MixSpec {
  std::string port;  // empty: the first port of the config
  uint64_t frames = 1000;
  uint64_t seed = 1;
  MixWeights weights;
  uint64_t start_time_ns = 1'704'067'200'000'000'000;  // 2024-01-01T00:00:00Z
  uint32_t rate_pps = 1'000'000;  // frame i is stamped start + i * 1e9 / rate (exact, floored)
  uint32_t payload_min = 16;      // UDP payload bytes, uniform in [min, max]
  uint32_t payload_max = 256;     // at most kMaxUdpPayload
};

struct Counts {
  uint64_t frames = 0;
  uint64_t bytes = 0;  // frame length without FCS: the pcap captured length
};

// What the appliance must count for a capture.
struct GroundTruth {
  uint64_t seed = 0;
  std::string port;
  uint64_t frames = 0;
  uint64_t bytes = 0;
  std::vector<std::pair<std::string, Counts>> classes;  // by class id: every class of the table
  std::array<uint64_t, kDropReasonCount> drops{};       // only non-loss reasons can be non-zero

  void add(uint16_t class_id, std::optional<DropReason> drop, uint64_t length);

  // {"seed","port","frames","bytes","classes":{name:{"frames","bytes"}},"drops":{reason:n}};
  // "drops" lists every reason that is not loss (input faults), zeros included.
  nlohmann::ordered_json to_json() const;
};

struct GeneratedFrame {
  uint64_t timestamp_ns = 0;
  Frame data;
  uint16_t class_id = net::kClassOther;
  std::optional<DropReason> drop;  // the reason the appliance must count it under, if dropped
  std::optional<Defect> defect;    // class malformed only
};

struct GeneratedTraffic {
  std::vector<GeneratedFrame> frames;
  GroundTruth truth;
};

// The class a well-formed IPv4/UDP frame gets on `port_index`: the first rule that matches, in
// the table's order, as the appliance's classifier does; kClassOther when none matches.
uint16_t expected_class(const net::ClassTable& table, uint16_t port_index,
                        std::optional<uint16_t> vlan, uint32_t ipv4_dst, uint16_t udp_dst);

// Streams a mix frame by frame (for captures larger than memory).
class MixGenerator {
 public:
  // Throws std::invalid_argument when the spec cannot be met on that config: unknown port, a
  // weighted category with nothing to send, a class its own frames cannot reach, bad ranges.
  MixGenerator(const conf::Config& cfg, const MixSpec& spec);

  // The next frame; false once spec.frames frames were produced.
  bool next(GeneratedFrame& out);

  const GroundTruth& truth() const { return truth_; }  // of the frames produced so far
  const net::ClassTable& class_table() const { return table_; }
  uint16_t port_index() const { return port_index_; }

 private:
  struct Target {
    uint16_t class_id;
    UdpSpec udp;
  };

  Target make_target(const std::string& class_name, const conf::MatchConfig& match, uint32_t src_ip,
                     uint16_t src_port) const;
  MacAddress mac_for(uint32_t ipv4_dst) const;
  uint64_t timestamp(uint64_t index) const;
  void draw_payload();
  UdpSpec with_ip_id(UdpSpec udp);
  void make_other(GeneratedFrame& out);
  void make_malformed(GeneratedFrame& out);
  void make_local(GeneratedFrame& out);

  MixSpec spec_;
  net::ClassTable table_;
  uint16_t port_index_ = 0;
  MacAddress port_mac_{};
  uint32_t port_ipv4_ = 0;
  bool has_ipv4_ = false;
  bool igmp_ = false;
  bool other_is_drop_ = true;
  std::vector<Target> lines_;
  std::vector<Target> sessions_;
  Target other_udp_{};
  std::vector<std::vector<Defect>> defects_;  // by malformed reason, in SY_DROP_REASONS order
  SplitMix64 rng_;
  std::vector<uint8_t> payload_;
  uint64_t produced_ = 0;
  uint64_t turn_lines_ = 0, turn_sessions_ = 0, turn_other_ = 0, turn_malformed_ = 0,
           turn_local_ = 0;
  uint16_t ip_id_ = 0;
  GroundTruth truth_;
};

// The whole mix in memory.
GeneratedTraffic generate_mix(const conf::Config& cfg, const MixSpec& spec);

}  // namespace sy::traffic
