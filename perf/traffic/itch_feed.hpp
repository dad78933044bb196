// Protocol-true market data for one feed of a config: MoldUDP64 / ITCH 5.0 on its lines A and B,
// with injected faults and the exact ground truth of what the appliance must count.
//
// The generator plays the exchange (a message script kept valid by its own order model), then
// the network (per-line losses, duplicates, reordering), and writes ONE capture interleaving both
// lines in timestamp order, as one port sees them. The truth is computed from what it did (the
// copies each line delivered), never by running the appliance's arbiter.
//
// Script, per session: System Event 'O'; Stock Directory 'R' for locates 1..instruments; a
// Trading Action 'H' spin (state 'T') as Nasdaq sends before the open; System Events 'S', 'Q';
// then `messages` order-flow messages shared out over the sessions (A F E C X D U P Q H, always
// valid against the live orders: executions and cancels never exceed an order, deletes and
// replaces name live orders, bids stay below and asks above a fixed mid so books never cross);
// after the last session's flow: System Events 'M', 'E', 'C' and `end_of_session_packets`
// MoldUDP64 end-of-session packets. A session change ends the old session abruptly (a fail-over:
// no 'C', no end of session) and starts a whole new script from sequence 1, so the books are
// rebuilt from the new directory just as the appliance resets them.
//
// Timing: packet slot k is sent on line A at its slot time (slots one 1e9/pps apart; an idle
// heartbeat slot lasts heartbeat_gap_ns) and on line B b_delay_ns later. The ITCH timestamps of a
// packet are its slot time minus one interval (ns since midnight UTC), so even a packet the
// reorder fault moves one slot early is never stamped after it was captured.
//
// Faults and the FeedArbiter counters they move (lcore/integrity/feed_arbiter.hpp). The
// generator keeps them independent by construction: b_delay_ns < packet interval (B's copy of a
// packet arrives before A's next packet) and < the feed's integrity window; a fault never touches
// the first or last data packet of a session or a packet carrying a malformed block; and the
// slots of two faults are never adjacent. `c` is the count of messages in the packet hit.
//  - loss_a / loss_b: the line skips one packet; the other line's copy arrives before anything
//    reveals the hole. Feed: duplicates -c, no gap, nothing lost. That line: packets -1,
//    messages -c, own_gaps +1, own_gap_messages +c.
//  - loss_both: neither line sends the packet. Feed: one gap (gaps_detected +1, gap_messages +c)
//    that nobody fills: lost +c, one lost range [first, last] (after the re-requests, if a
//    retransmit server is configured, go unanswered), books unknown if in the final session.
//    Both lines: own_gaps +1, own_gap_messages +c.
//  - duplicate: the line sends the packet again half an interval later. Feed: duplicates +c.
//    That line: packets +1, messages +c, duplicates +c. No own gap.
//  - reorder: the line swaps two consecutive packets i, i+1 (each keeps the other's slot). That
//    line: own_gaps +1, own_gap_messages +c(i). On line A, i+1 arrives first and opens a gap that
//    B's copy of i fills within the window: filled_in_window +c(i), gaps_detected unchanged. On
//    line B, A has already delivered i, so B's early i+1 is simply applied first (per-line
//    applied/duplicates move; feed totals do not).
//  - session_change: from a data packet on, a new session string and sequences from 1. Feed:
//    sessions +1 (session_change event, books reset). The old session's tail is not a gap.
//  - malformed: an extra block (its own sequence number, the framing stays valid) that is
//    either shorter than its type (itch_short) or has a type letter outside ITCH 5.0
//    (itch_unknown_type). Applied like any message; the decoder counts it once per applied
//    sequence (decode_errors); books are untouched because it is not part of the order flow.
// Duplicates and reorders alternate lines A, B, A, ... in packet order. Counts are placed from
// the seed (session changes and heartbeats spread evenly over the flow, malformed blocks at
// random flow positions); every fault is listed in the truth with its data packet index.
//
// Verified by tests/traffic/test_itch_feed.cpp, which also drives the real FeedArbiter with the
// capture and requires its counters to equal this truth. Replayed through net_pcap the appliance
// sees microsecond timestamps; the packet order, which is all the truth relies on, is unchanged.
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "conf/config.hpp"
#include "perf/traffic/frame_builder.hpp"
#include "src/proto/itch50.hpp"
#include "src/proto/moldudp64.hpp"
#include "src/proto/proto_error.hpp"

namespace sy::traffic {

// One fault kind: either a count (positions drawn from the seed) or explicit positions, as
// 0-based indices of data packets in publication order over the whole capture (the same index
// the truth's "faults" list reports, so a run can be replayed with its faults pinned; a pinned
// malformed block lands in the same packet but possibly at another place inside it).
struct ItchFault {
  uint32_t count = 0;
  std::vector<uint64_t> packets;  // when not empty, count is ignored
  uint64_t total() const { return packets.empty() ? count : packets.size(); }
};

struct ItchFaults {
  ItchFault loss_a, loss_b, loss_both, duplicate, reorder, session_change, malformed;
};

// "loss_a=2,loss_b=2,loss_both=1,duplicate=3,reorder=1,session_change=0,malformed=2", any
// subset; a value "@12:40" pins data packets 12 and 40. Throws std::invalid_argument.
ItchFaults parse_itch_faults(std::string_view text);

// Relative weights of the order-flow message types (not percentages: any non-negative numbers
// with a positive sum). The defaults are a busy book: mostly adds, deletes and replaces.
struct ItchMix {
  uint32_t add = 30, add_mpid = 6, execute = 10, execute_price = 4, cancel = 10, del = 16,
           replace = 14, trade = 6, cross = 1, trading_action = 3;
};
// "A=30,F=6,E=10,C=4,X=10,D=16,U=14,P=6,Q=1,H=3" (ITCH type letters; omitted keys keep their
// default). Throws std::invalid_argument naming the bad key or value.
ItchMix parse_itch_mix(std::string_view text);

struct ItchFeedSpec {
  std::string feed;            // empty: the config's first feed
  uint64_t messages = 10'000;  // order-flow messages over all sessions (preambles extra)
  uint64_t seed = 1;
  uint32_t instruments = 8;            // locates 1..instruments, 1..65535
  uint32_t per_packet = 8;             // each data packet holds 1..per_packet messages, <= 27
  uint32_t pps = 100'000;              // data packet slots per second (per line)
  std::optional<uint64_t> b_delay_ns;  // default: a quarter of the packet interval
  uint32_t heartbeats = 0;             // idle periods, spread over the order flow
  uint64_t heartbeat_gap_ns = 0;       // length of an idle slot; 0: one packet interval
  uint32_t end_of_session_packets = 3;
  uint64_t start_time_ns = 1'704'101'400'000'000'000;  // 2024-01-01T09:30:00Z
  ItchFaults faults;
  ItchMix mix;
  bool keep_messages = true;  // keep the decoded form of every script message (tests)
};

// A message of the script as published (before the network touches it).
struct ItchScriptMessage {
  uint32_t session = 0;
  uint64_t sequence = 0;
  proto::ItchMessage msg{};                // zero for a malformed block
  std::optional<proto::ProtoError> error;  // set for a malformed block: what decoding says
};

inline constexpr uint64_t kNotData = UINT64_MAX;

// One packet slot as published on both lines.
struct ItchPacket {
  uint32_t session = 0;
  uint64_t sequence = 0;           // first block; heartbeat / end of session: the next expected
  uint16_t count = 0;              // Message Count: blocks, 0 heartbeat, 0xFFFF end of session
  uint64_t slot_ns = 0;            // line A's send time
  uint64_t data_index = kNotData;  // among data packets, in publication order
  bool malformed = false;          // carries a malformed block
  std::vector<uint8_t> payload;    // the MoldUDP64 packet (UDP payload)

  bool data() const { return count != proto::kMoldHeartbeatCount && count != 0xFFFF; }
  uint16_t blocks() const { return data() ? count : 0; }
};

enum class ItchCopy : uint8_t { normal, reordered, duplicate };

// One frame of the capture: a copy of a packet on a line.
struct ItchTransmission {
  uint64_t timestamp_ns = 0;
  uint8_t line = 0;  // 0 = A (the feed's first line), 1 = B
  uint32_t packet = 0;
  uint16_t ip_id = 0;  // per line, in send order
  ItchCopy copy = ItchCopy::normal;
};

// How a line's frames are addressed (its class's match rule; a fake publisher as the source).
struct ItchLineTarget {
  std::string name;  // the config's line name
  std::string port;  // ingress port name
  uint16_t port_index = 0;
  uint16_t class_id = 0;
  std::string class_name;  // "<feed>.<line>"
  UdpSpec udp;
};

// A fault as applied. packet: data packet index; line: "A"/"B"/"both"/"" (session_change,
// malformed); first/last: the sequences hit (reorder: of the first packet of the pair).
struct ItchAppliedFault {
  std::string kind;
  uint64_t packet = 0;
  std::string line;
  uint32_t session = 0;
  uint64_t first = 0, last = 0;
};

struct ItchLineTruth {
  std::string name;        // the config's line name
  std::string class_name;  // "<feed>.<line>"
  std::string port;
  uint64_t packets = 0;     // frames, every kind (the arbiter's LineHealth::packets)
  uint64_t messages = 0;    // blocks delivered
  uint64_t heartbeats = 0;  // heartbeats + end-of-session packets (both count there)
  uint64_t end_of_session = 0;
  uint64_t applied = 0;     // first copies of a sequence
  uint64_t duplicates = 0;  // later copies
  uint64_t own_gaps = 0;
  uint64_t own_gap_messages = 0;
  uint64_t bytes = 0;  // frame bytes without FCS
};

struct ItchLostRange {
  uint32_t session = 0;
  uint64_t first = 0, last = 0;
};

// An instrument after the final session's script (prices Price(4); 0 on an empty side).
struct ItchBookTruth {
  uint16_t locate = 0;
  std::string symbol;
  uint32_t bid_price = 0;
  uint64_t bid_shares = 0;  // aggregated at the best price
  uint32_t ask_price = 0;
  uint64_t ask_shares = 0;
  uint32_t bid_levels = 0, ask_levels = 0;
  uint64_t live_orders = 0;
  bool has_last_trade = false;
  uint32_t last_trade_price = 0;  // last E, printable C, P, or Q with shares
  uint64_t volume = 0;            // shares of those
  char trading_state = 'T';
};

struct ItchTruth {
  uint64_t seed = 0;
  std::string feed;
  uint64_t frames = 0;
  uint64_t bytes = 0;
  uint64_t interval_ns = 0;  // between data packet slots
  uint64_t b_delay_ns = 0;   // line B after line A
  std::array<ItchLineTruth, 2> lines;
  uint64_t messages_unique = 0;  // sequences published (sent on at least one line)
  uint64_t applied = 0;          // sequences delivered by at least one line
  uint64_t duplicates = 0;       // copies delivered - applied
  uint64_t lost = 0;             // published, delivered by neither line
  std::vector<ItchLostRange> lost_ranges;
  uint64_t gaps_detected = 0;     // maximal runs of lost sequences (one per lost range)
  uint64_t filled_in_window = 0;  // first copies that arrived after a later sequence
  uint64_t sessions = 0;
  std::vector<std::string> session_names;
  std::array<uint64_t, proto::kProtoErrorCount> decode_errors{};  // over applied sequences
  uint64_t decoded = 0;  // applied sequences that decode as ITCH 5.0
  bool end_of_session = false;
  bool books_unknown = false;  // a sequence of the final session was lost
  std::vector<ItchBookTruth> books;
  std::vector<ItchAppliedFault> faults;

  // {"seed","frames","bytes","feeds":{feed:{...}}}: see the report / docs for the fields.
  nlohmann::ordered_json to_json() const;
};

struct GeneratedItch {
  ItchFeedSpec spec;  // with defaults resolved (feed name, b_delay_ns, heartbeat_gap_ns)
  uint64_t interval_ns = 0;
  std::array<ItchLineTarget, 2> lines;
  std::vector<proto::MoldSession> sessions;
  std::vector<ItchPacket> packets;              // publication order
  std::vector<ItchTransmission> transmissions;  // capture order
  std::vector<ItchScriptMessage> messages;      // all sessions, when spec.keep_messages
  ItchTruth truth;

  // The Ethernet frame of transmissions[i].
  Frame frame(size_t i) const;
};

// Throws std::invalid_argument when the spec cannot be met on that config: unknown feed, not
// exactly two lines, lines whose frames another class would take, out-of-range knobs, b_delay_ns
// not below the packet interval or the feed's window, or more faults than eligible packets.
GeneratedItch generate_itch(const conf::Config& cfg, const ItchFeedSpec& spec);

// Writes the capture (nanosecond pcap) and, beside it, itch_truth_path(pcap_path).
void write_itch(const GeneratedItch& g, const std::string& pcap_path);

// FILE.pcap -> FILE.truth.json; any other name gets ".truth.json" appended.
std::string itch_truth_path(const std::string& pcap_path);

}  // namespace sy::traffic
