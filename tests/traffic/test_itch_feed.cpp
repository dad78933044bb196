// Tests of the ITCH feed generator. Its truth is checked four ways: by arithmetic (the totals
// must add up), fault by fault against a fault-free baseline of the same seed, against an
// independent decode of the capture (frames parsed here, blocks by the project's codecs, books
// rebuilt by a small model written here), against the appliance's own FeedArbiter driven with
// the capture, and by tshark with its MoldUDP64 dissector and the ITCH 5.0 Lua dissector.

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "lcore/integrity/feed_arbiter.hpp"
#include "perf/traffic/itch_feed.hpp"
#include "perf/traffic/pcap_file.hpp"
#include "src/net/class_table.hpp"
#include "src/net/classifier.hpp"
#include "src/proto/itch50.hpp"
#include "src/proto/moldudp64.hpp"

namespace sy::traffic {
namespace {

constexpr uint32_t ip4(uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
  return a << 24 | b << 16 | c << 8 | d;
}

conf::MatchConfig match(const std::string& port, uint16_t udp,
                        std::optional<uint32_t> dst = std::nullopt,
                        std::optional<uint16_t> vlan = std::nullopt) {
  conf::MatchConfig m;
  m.port = port;
  m.udp_dst = udp;
  m.ipv4_dst = dst;
  m.vlan = vlan;
  return m;
}

// Mirrors conf/profiles/default.yaml (feed itch: A 233.54.12.111:26400, B .112:26401), plus a
// second port whose feed "md" has tagged lines, one multicast and one unicast to the port.
conf::Config test_config() {
  conf::Config c;
  conf::PortConfig p;
  p.name = "wire0";
  p.device = "net_pcap0";
  p.ipv4 = ip4(10, 1, 0, 2);
  p.mac = conf::MacAddress{0x02, 0x53, 0x59, 0x00, 0x00, 0x02};
  c.ports.push_back(p);
  p.name = "wire1";
  p.device = "net_ring0";
  p.ipv4 = ip4(10, 2, 0, 2);
  p.mac = conf::MacAddress{0x02, 0x53, 0x59, 0x00, 0x01, 0x02};
  c.ports.push_back(p);
  conf::FeedConfig itch;
  itch.name = "itch";
  itch.lines.push_back({"A", match("wire0", 26400, ip4(233, 54, 12, 111))});
  itch.lines.push_back({"B", match("wire0", 26401, ip4(233, 54, 12, 112))});
  conf::RetransmitConfig rt;
  rt.reply = match("wire0", 26402);
  rt.server_ipv4 = ip4(10, 1, 0, 9);
  rt.server_udp = 26403;
  itch.retransmit = rt;
  c.feeds.push_back(itch);
  conf::FeedConfig md;
  md.name = "md";
  md.lines.push_back({"A", match("wire1", 30000, ip4(239, 1, 1, 1), 100)});
  md.lines.push_back({"B", match("wire1", 30001, std::nullopt, 200)});
  c.feeds.push_back(md);
  c.sessions.push_back(
      {"client1", conf::SessionSide::client, conf::Priority::p0, match("wire0", 40001), {}});
  return c;
}

ItchFeedSpec spec_with(uint64_t messages, uint64_t seed, const std::string& faults = "") {
  ItchFeedSpec s;
  s.messages = messages;
  s.seed = seed;
  s.instruments = 6;
  s.faults = parse_itch_faults(faults);
  return s;
}

std::string temp_path(const std::string& name) {
  return ::testing::TempDir() + "sy_itch_" + std::to_string(::getpid()) + "_" + name;
}

std::vector<uint8_t> file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// ---------------------------------------------------------------------------------------------
// Reference parsing of a frame down to its UDP payload, not sharing code with the library.

struct Udp {
  std::optional<uint16_t> vlan;
  uint32_t dst_ip = 0;
  uint16_t dst_port = 0;
  const uint8_t* payload = nullptr;
  size_t len = 0;
};

Udp parse_udp(const Frame& f) {
  Udp u;
  auto be16 = [&](size_t off) { return static_cast<uint16_t>(f.at(off) << 8 | f.at(off + 1)); };
  size_t l3 = 14;
  if (be16(12) == 0x8100) {
    u.vlan = be16(14) & 0x0fff;
    l3 = 18;
  }
  EXPECT_EQ(be16(l3 - 2), 0x0800);
  EXPECT_EQ(f.at(l3 + 9), 17);
  u.dst_ip = uint32_t{be16(l3 + 16)} << 16 | be16(l3 + 18);
  const size_t l4 = l3 + (f.at(l3) & 0x0fu) * 4u;
  u.dst_port = be16(l4 + 2);
  u.len = be16(l4 + 4) - 8u;
  u.payload = f.data() + l4 + 8;
  EXPECT_LE(l4 + 8 + u.len, f.size());
  return u;
}

// Index of a script message by (session, sequence): sequences are 1.. per session.
struct ScriptIndex {
  explicit ScriptIndex(const GeneratedItch& g) : g_(g) {
    for (size_t i = 0; i < g.messages.size(); ++i)
      if (g.messages[i].sequence == 1) first_.push_back(i);
  }
  const ItchScriptMessage& at(uint32_t session, uint64_t seq) const {
    return g_.messages.at(first_.at(session) + seq - 1);
  }
  size_t session_size(uint32_t s) const {
    return (s + 1 < first_.size() ? first_[s + 1] : g_.messages.size()) - first_[s];
  }
  const GeneratedItch& g_;
  std::vector<size_t> first_;
};

// ---------------------------------------------------------------------------------------------
// Faults parsing and spec validation.

TEST(ItchFaultsText, ParsesCountsAndPinnedPackets) {
  const ItchFaults f = parse_itch_faults(
      "loss_a=2,loss_b=3,loss_both=1,duplicate=4,reorder=@10:20,session_change=0,malformed=@7");
  EXPECT_EQ(f.loss_a.count, 2u);
  EXPECT_EQ(f.loss_b.count, 3u);
  EXPECT_EQ(f.loss_both.count, 1u);
  EXPECT_EQ(f.duplicate.count, 4u);
  EXPECT_EQ(f.reorder.packets, (std::vector<uint64_t>{10, 20}));
  EXPECT_EQ(f.session_change.total(), 0u);
  EXPECT_EQ(f.malformed.packets, (std::vector<uint64_t>{7}));
  EXPECT_EQ(parse_itch_faults("").loss_a.total(), 0u);
  for (const char* bad : {"loss_c=1", "loss_a", "loss_a=x", "loss_a=1,loss_a=2", "loss_a=1,",
                          "reorder=@", "reorder=@1:", "malformed=-1"})
    EXPECT_THROW(parse_itch_faults(bad), std::invalid_argument) << bad;
}

TEST(ItchFeed, RejectsWhatItCannotGenerate) {
  const conf::Config cfg = test_config();
  auto bad = [&](ItchFeedSpec s) { EXPECT_THROW(generate_itch(cfg, s), std::invalid_argument); };
  ItchFeedSpec s = spec_with(500, 1);
  s.feed = "nope";
  bad(s);
  s = spec_with(500, 1);
  s.b_delay_ns = 10'000;  // = the interval at 100k pps
  bad(s);
  s = spec_with(500, 1);
  s.pps = 100;  // interval 10 ms: a quarter of it is beyond the 1 ms window
  bad(s);
  s.b_delay_ns = 500'000;
  EXPECT_NO_THROW(generate_itch(cfg, s));
  s = spec_with(500, 1);
  s.per_packet = 28;
  bad(s);
  s.per_packet = 27;
  EXPECT_NO_THROW(generate_itch(cfg, s));
  s = spec_with(500, 1);
  s.instruments = 0;
  bad(s);
  bad(spec_with(200, 1, "loss_a=1000"));            // more faults than room
  bad(spec_with(500, 1, "loss_a=@0"));              // first packet of the session
  bad(spec_with(500, 1, "loss_a=@50,loss_b=@51"));  // adjacent
  bad(spec_with(500, 1, "duplicate=@100000"));      // beyond the end
  bad(spec_with(500, 1, "session_change=@100000"));
  bad(spec_with(500, 1, "malformed=@100000"));
  conf::Config one_line = cfg;
  one_line.feeds[0].lines.pop_back();
  EXPECT_THROW(generate_itch(one_line, spec_with(100, 1)), std::invalid_argument);
}

// ---------------------------------------------------------------------------------------------
// Determinism and the shape of the script.

TEST(ItchFeed, SameSeedSameBytes) {
  const conf::Config cfg = test_config();
  const std::string faults = "loss_a=2,loss_b=2,loss_both=1,duplicate=3,reorder=2,malformed=2";
  const std::string a = temp_path("det_a.pcap"), b = temp_path("det_b.pcap"),
                    c = temp_path("det_c.pcap");
  write_itch(generate_itch(cfg, spec_with(4000, 42, faults)), a);
  write_itch(generate_itch(cfg, spec_with(4000, 42, faults)), b);
  write_itch(generate_itch(cfg, spec_with(4000, 43, faults)), c);
  EXPECT_EQ(file_bytes(a), file_bytes(b));
  EXPECT_EQ(file_bytes(itch_truth_path(a)), file_bytes(itch_truth_path(b)));
  EXPECT_NE(file_bytes(a), file_bytes(c));
  EXPECT_FALSE(file_bytes(itch_truth_path(a)).empty());
  for (const auto& p : {a, b, c}) {
    std::remove(p.c_str());
    std::remove(itch_truth_path(p).c_str());
  }
  EXPECT_EQ(itch_truth_path("x/y.pcap"), "x/y.truth.json");
  EXPECT_EQ(itch_truth_path("x/y.cap"), "x/y.cap.truth.json");
}

TEST(ItchFeed, NetworkFaultsLeaveTheScriptAlone) {
  const conf::Config cfg = test_config();
  const GeneratedItch clean = generate_itch(cfg, spec_with(3000, 9));
  const GeneratedItch hit =
      generate_itch(cfg, spec_with(3000, 9, "loss_a=2,loss_b=2,loss_both=2,duplicate=2,reorder=2"));
  ASSERT_EQ(clean.packets.size(), hit.packets.size());
  for (size_t i = 0; i < clean.packets.size(); ++i)
    ASSERT_EQ(clean.packets[i].payload, hit.packets[i].payload) << i;
}

TEST(ItchFeed, ScriptFollowsTheTradingDay) {
  const conf::Config cfg = test_config();
  ItchFeedSpec s = spec_with(2000, 4, "session_change=1");
  s.heartbeats = 3;
  const GeneratedItch g = generate_itch(cfg, s);
  const ScriptIndex idx(g);
  ASSERT_EQ(g.sessions.size(), 2u);
  for (uint32_t session = 0; session < 2; ++session) {
    SCOPED_TRACE(session);
    uint64_t seq = 1;
    auto next = [&]() -> const proto::ItchMessage& { return idx.at(session, seq++).msg; };
    EXPECT_EQ(next().event_code, 'O');
    for (uint16_t l = 1; l <= s.instruments; ++l) {
      const proto::ItchMessage& r = next();
      EXPECT_EQ(r.type, 'R');
      EXPECT_EQ(r.locate, l);
    }
    for (uint16_t l = 1; l <= s.instruments; ++l) {
      const proto::ItchMessage& h = next();
      EXPECT_EQ(h.type, 'H');
      EXPECT_EQ(h.trading_state, 'T');
    }
    EXPECT_EQ(next().event_code, 'S');
    EXPECT_EQ(next().event_code, 'Q');
  }
  // The day ends with M, E, C in the last session; then only end-of-session packets.
  const size_t last = idx.session_size(1);
  EXPECT_EQ(idx.at(1, last - 2).msg.event_code, 'M');
  EXPECT_EQ(idx.at(1, last - 1).msg.event_code, 'E');
  EXPECT_EQ(idx.at(1, last).msg.event_code, 'C');
  size_t eos = 0, heartbeats = 0;
  for (const ItchPacket& p : g.packets) {
    if (p.count == 0xFFFF) {
      ++eos;
      EXPECT_EQ(p.sequence, last + 1);
    } else if (eos != 0) {
      ADD_FAILURE() << "a packet after end of session";
    }
    heartbeats += p.count == 0;
  }
  EXPECT_EQ(eos, 3u);
  EXPECT_EQ(heartbeats, 3u);
  // Order flow: every type of the mix appears.
  std::set<char> types;
  for (const auto& m : g.messages) types.insert(static_cast<char>(m.msg.type));
  for (const char t : std::string("AFECXDUPQHRS")) EXPECT_TRUE(types.count(t)) << t;
  // Timestamps never decrease within a session and never exceed the capture time.
  for (const ItchTransmission& t : g.transmissions) {
    const ItchPacket& p = g.packets[t.packet];
    if (!p.data() || p.malformed) continue;
    const auto& m = idx.at(p.session, p.sequence).msg;
    EXPECT_LE(m.timestamp_ns, t.timestamp_ns % (86'400ULL * 1'000'000'000));
  }
}

// ---------------------------------------------------------------------------------------------
// Truth arithmetic.

void expect_consistent(const GeneratedItch& g) {
  const ItchTruth& t = g.truth;
  const auto& a = t.lines[0];
  const auto& b = t.lines[1];
  EXPECT_EQ(t.frames, g.transmissions.size());
  EXPECT_EQ(t.frames, a.packets + b.packets);
  EXPECT_EQ(a.messages + b.messages, t.applied + t.duplicates);
  EXPECT_EQ(a.applied + b.applied, t.applied);
  EXPECT_EQ(a.duplicates + b.duplicates, t.duplicates);
  EXPECT_EQ(t.messages_unique, t.applied + t.lost);
  uint64_t lost = 0;
  for (const auto& r : t.lost_ranges) lost += r.last - r.first + 1;
  EXPECT_EQ(lost, t.lost);
  EXPECT_EQ(t.gaps_detected, t.lost_ranges.size());
  EXPECT_EQ(t.sessions, g.sessions.size());
  uint64_t errors = 0;
  for (uint64_t e : t.decode_errors) errors += e;
  EXPECT_EQ(t.decoded + errors, t.applied);
  uint64_t bytes = 0;
  for (size_t i = 0; i < g.transmissions.size(); ++i) bytes += g.frame(i).size();
  EXPECT_EQ(bytes, t.bytes);
  EXPECT_EQ(a.bytes + b.bytes, t.bytes);
  if (g.spec.keep_messages) {
    EXPECT_EQ(g.messages.size(), t.messages_unique);
  }
  // Capture order is time order.
  for (size_t i = 1; i < g.transmissions.size(); ++i)
    EXPECT_LE(g.transmissions[i - 1].timestamp_ns, g.transmissions[i].timestamp_ns);
}

TEST(ItchTruth, AddsUp) {
  const conf::Config cfg = test_config();
  for (const char* faults :
       {"", "loss_a=3,loss_b=3,loss_both=2,duplicate=3,reorder=2,session_change=2,malformed=4"}) {
    SCOPED_TRACE(faults);
    ItchFeedSpec s = spec_with(5000, 11, faults);
    s.heartbeats = 4;
    expect_consistent(generate_itch(cfg, s));
  }
}

TEST(ItchTruth, FaultFreeBaseline) {
  const GeneratedItch g = generate_itch(test_config(), spec_with(3000, 5));
  const ItchTruth& t = g.truth;
  EXPECT_EQ(t.lost, 0u);
  EXPECT_EQ(t.gaps_detected, 0u);
  EXPECT_EQ(t.filled_in_window, 0u);
  EXPECT_EQ(t.sessions, 1u);
  EXPECT_EQ(t.duplicates, t.messages_unique);        // B's copy of everything
  EXPECT_EQ(t.lines[0].applied, t.messages_unique);  // A is always first
  EXPECT_EQ(t.lines[0].packets, t.lines[1].packets);
  EXPECT_EQ(t.lines[0].own_gaps + t.lines[1].own_gaps, 0u);
  EXPECT_EQ(t.decoded, t.applied);
  EXPECT_TRUE(t.end_of_session);
  EXPECT_FALSE(t.books_unknown);
  EXPECT_EQ(t.books.size(), 6u);
  EXPECT_TRUE(t.faults.empty());
  EXPECT_EQ(t.lines[0].end_of_session, 3u);
  EXPECT_EQ(t.lines[0].heartbeats, 3u);  // end-of-session packets count as heartbeats
}

// ---------------------------------------------------------------------------------------------
// Every fault kind changes exactly what it should, against the same seed without faults.

struct FaultCase {
  const GeneratedItch base;
  explicit FaultCase(uint64_t seed) : base(generate_itch(test_config(), spec_with(3000, seed))) {}
  const ItchPacket& data(uint64_t d) const {
    for (const ItchPacket& p : base.packets)
      if (p.data_index == d) return p;
    throw std::out_of_range("data packet");
  }
  GeneratedItch with(const std::string& faults) const {
    return generate_itch(test_config(), spec_with(3000, base.spec.seed, faults));
  }
};

TEST(ItchFaults, LossOnOneLine) {
  const FaultCase fc(5);
  const ItchTruth& b = fc.base.truth;
  for (size_t line = 0; line < 2; ++line) {
    SCOPED_TRACE(line);
    const uint64_t c = fc.data(40).count;
    const ItchTruth t = fc.with(line == 0 ? "loss_a=@40" : "loss_b=@40").truth;
    EXPECT_EQ(t.lines[line].packets, b.lines[line].packets - 1);
    EXPECT_EQ(t.lines[line].messages, b.lines[line].messages - c);
    EXPECT_EQ(t.lines[line].own_gaps, 1u);
    EXPECT_EQ(t.lines[line].own_gap_messages, c);
    EXPECT_EQ(t.lines[1 - line].own_gaps, 0u);
    EXPECT_EQ(t.applied, b.applied);
    EXPECT_EQ(t.duplicates, b.duplicates - c);
    EXPECT_EQ(t.lost, 0u);
    EXPECT_EQ(t.gaps_detected, 0u);
    EXPECT_EQ(t.filled_in_window, 0u);
    EXPECT_FALSE(t.books_unknown);
    ASSERT_EQ(t.faults.size(), 1u);
    EXPECT_EQ(t.faults[0].line, line == 0 ? "A" : "B");
  }
}

TEST(ItchFaults, LossOnBothLines) {
  const FaultCase fc(5);
  const ItchTruth& b = fc.base.truth;
  const ItchPacket& p = fc.data(40);
  const ItchTruth t = fc.with("loss_both=@40").truth;
  EXPECT_EQ(t.messages_unique, b.messages_unique);
  EXPECT_EQ(t.applied, b.applied - p.count);
  EXPECT_EQ(t.duplicates, b.duplicates - p.count);
  EXPECT_EQ(t.lost, p.count);
  ASSERT_EQ(t.lost_ranges.size(), 1u);
  EXPECT_EQ(t.lost_ranges[0].session, 0u);
  EXPECT_EQ(t.lost_ranges[0].first, p.sequence);
  EXPECT_EQ(t.lost_ranges[0].last, p.sequence + p.count - 1);
  EXPECT_EQ(t.gaps_detected, 1u);
  for (size_t line = 0; line < 2; ++line) {
    EXPECT_EQ(t.lines[line].own_gaps, 1u);
    EXPECT_EQ(t.lines[line].own_gap_messages, p.count);
  }
  EXPECT_TRUE(t.books_unknown);
  EXPECT_FALSE(t.to_json()["feeds"]["itch"].contains("books"));
}

TEST(ItchFaults, Duplicate) {
  const FaultCase fc(5);
  const ItchTruth& b = fc.base.truth;
  const uint64_t c40 = fc.data(40).count, c60 = fc.data(60).count;
  const ItchTruth t = fc.with("duplicate=@40:60").truth;  // A, then B
  EXPECT_EQ(t.lines[0].packets, b.lines[0].packets + 1);
  EXPECT_EQ(t.lines[1].packets, b.lines[1].packets + 1);
  EXPECT_EQ(t.lines[0].duplicates, b.lines[0].duplicates + c40);
  EXPECT_EQ(t.lines[1].duplicates, b.lines[1].duplicates + c60);
  EXPECT_EQ(t.duplicates, b.duplicates + c40 + c60);
  EXPECT_EQ(t.applied, b.applied);
  EXPECT_EQ(t.lost + t.gaps_detected + t.filled_in_window, 0u);
  EXPECT_EQ(t.lines[0].own_gaps + t.lines[1].own_gaps, 0u);
}

TEST(ItchFaults, Reorder) {
  const FaultCase fc(5);
  const ItchTruth& b = fc.base.truth;
  const uint64_t c40 = fc.data(40).count, c60 = fc.data(60).count;
  const GeneratedItch g = fc.with("reorder=@40:60");  // A swaps 40/41, B swaps 60/61
  const ItchTruth& t = g.truth;
  EXPECT_EQ(t.lines[0].own_gaps, 1u);
  EXPECT_EQ(t.lines[0].own_gap_messages, c40);
  EXPECT_EQ(t.lines[1].own_gaps, 1u);
  EXPECT_EQ(t.lines[1].own_gap_messages, c60);
  EXPECT_EQ(t.filled_in_window, c40);  // only A's swap opens a gap that B fills
  EXPECT_EQ(t.duplicates, b.duplicates);
  EXPECT_EQ(t.applied, b.applied);
  EXPECT_EQ(t.lost + t.gaps_detected, 0u);
  EXPECT_EQ(t.lines[0].packets, b.lines[0].packets);
  size_t reordered = 0;
  for (const auto& x : g.transmissions) reordered += x.copy == ItchCopy::reordered;
  EXPECT_EQ(reordered, 4u);
}

TEST(ItchFaults, SessionChange) {
  const FaultCase fc(5);
  const ItchTruth& b = fc.base.truth;
  const GeneratedItch g = fc.with("session_change=@120");
  const ItchTruth& t = g.truth;
  EXPECT_EQ(t.sessions, 2u);
  ASSERT_EQ(t.session_names.size(), 2u);
  EXPECT_NE(t.session_names[0], t.session_names[1]);
  // A whole new preamble (O, R and H per instrument, S, Q) is published on top of the flow.
  EXPECT_EQ(t.messages_unique, b.messages_unique + 3 + 2 * 6);
  EXPECT_EQ(t.lost + t.gaps_detected + t.filled_in_window, 0u);
  EXPECT_EQ(t.lines[0].own_gaps + t.lines[1].own_gaps, 0u);
  EXPECT_FALSE(t.books_unknown);
  for (const ItchPacket& p : g.packets) {
    if (p.data_index == 119) {
      EXPECT_EQ(p.session, 0u);
    }
    if (p.data_index == 120) {
      EXPECT_EQ(p.session, 1u);
      EXPECT_EQ(p.sequence, 1u);
    }
  }
  // Losses are reported per session.
  const ItchTruth t2 = fc.with("session_change=@120,loss_both=@60:200").truth;
  ASSERT_EQ(t2.lost_ranges.size(), 2u);
  EXPECT_EQ(t2.lost_ranges[0].session, 0u);
  EXPECT_EQ(t2.lost_ranges[1].session, 1u);
  EXPECT_TRUE(t2.books_unknown);  // the final session lost messages
  EXPECT_FALSE(fc.with("session_change=@120,loss_both=@60").truth.books_unknown);
}

TEST(ItchFaults, Malformed) {
  const FaultCase fc(5);
  const ItchTruth& b = fc.base.truth;
  const ItchTruth t = fc.with("malformed=@40:80").truth;
  EXPECT_EQ(t.messages_unique, b.messages_unique + 2);
  EXPECT_EQ(t.decode_errors[static_cast<size_t>(proto::ProtoError::itch_short)], 1u);
  EXPECT_EQ(t.decode_errors[static_cast<size_t>(proto::ProtoError::itch_unknown_type)], 1u);
  EXPECT_EQ(t.decoded, b.decoded);
  EXPECT_EQ(t.lost + t.gaps_detected, 0u);
  // The flow is unchanged: the same books.
  ASSERT_EQ(t.books.size(), b.books.size());
  for (size_t i = 0; i < t.books.size(); ++i) {
    EXPECT_EQ(t.books[i].bid_price, b.books[i].bid_price);
    EXPECT_EQ(t.books[i].ask_shares, b.books[i].ask_shares);
    EXPECT_EQ(t.books[i].volume, b.books[i].volume);
  }
  // By count, at random places of the flow.
  const ItchTruth t3 = fc.with("malformed=3").truth;
  EXPECT_EQ(t3.messages_unique, b.messages_unique + 3);
  EXPECT_EQ(t3.decoded + 3, t3.applied);
}

TEST(ItchFaults, CountsArePlacedAsAsked) {
  const GeneratedItch g = generate_itch(
      test_config(),
      spec_with(
          6000, 77,
          "loss_a=3,loss_b=2,loss_both=2,duplicate=3,reorder=2,session_change=1,malformed=2"));
  std::map<std::string, int> kinds;
  for (const auto& f : g.truth.faults) ++kinds[f.kind];
  EXPECT_EQ(kinds, (std::map<std::string, int>{{"duplicate", 3},
                                               {"loss_a", 3},
                                               {"loss_b", 2},
                                               {"loss_both", 2},
                                               {"malformed", 2},
                                               {"reorder", 2},
                                               {"session_change", 1}}));
  EXPECT_EQ(g.truth.lost_ranges.size(), 2u);
}

TEST(ItchFaults, ReportedPositionsReplayTheRun) {
  // Malformed blocks are left out: pinned to a packet, a block's place inside it may differ.
  const std::string faults = "loss_a=3,loss_b=2,loss_both=2,duplicate=3,reorder=3,session_change=2";
  const GeneratedItch g = generate_itch(test_config(), spec_with(6000, 78, faults));
  std::map<std::string, std::string> pinned;
  for (const auto& f : g.truth.faults)
    pinned[f.kind] += (pinned[f.kind].empty() ? "@" : ":") + std::to_string(f.packet);
  std::string text;
  for (const auto& [k, v] : pinned) text += (text.empty() ? "" : ",") + k + "=" + v;
  const GeneratedItch again = generate_itch(test_config(), spec_with(6000, 78, text));
  EXPECT_EQ(again.truth.to_json(), g.truth.to_json()) << text;
  ASSERT_EQ(again.transmissions.size(), g.transmissions.size());
  for (size_t i = 0; i < g.transmissions.size(); ++i) ASSERT_EQ(again.frame(i), g.frame(i)) << i;
}

// ---------------------------------------------------------------------------------------------
// The capture itself: classification, decoding, books, and the appliance's arbiter.

TEST(ItchCapture, FramesClassifyToTheirLines) {
  const conf::Config cfg = test_config();
  const net::ClassTable table = net::build_class_table(cfg);
  const net::Classifier classifier(table, {ip4(10, 1, 0, 2), ip4(10, 2, 0, 2)}, {false, false});
  for (const std::string feed : {"itch", "md"}) {
    SCOPED_TRACE(feed);
    ItchFeedSpec s = spec_with(1500, 3, "duplicate=2,reorder=1");
    s.feed = feed;
    s.heartbeats = 2;
    const GeneratedItch g = generate_itch(cfg, s);
    for (size_t i = 0; i < g.transmissions.size(); ++i) {
      const Frame f = g.frame(i);
      const ItchLineTarget& line = g.lines[g.transmissions[i].line];
      const net::Verdict v =
          classifier.classify(f.data(), static_cast<uint32_t>(f.size()), line.port_index);
      ASSERT_EQ(v.class_id, line.class_id) << table.classes[v.class_id].name;
      const Udp u = parse_udp(f);
      const conf::FeedLineConfig& lc =
          cfg.feeds[feed == "itch" ? 0 : 1].lines[g.transmissions[i].line];
      EXPECT_EQ(u.dst_port, lc.match.udp_dst);
      EXPECT_EQ(u.vlan, lc.match.vlan);
      EXPECT_EQ(u.dst_ip, lc.match.ipv4_dst.value_or(cfg.ports[line.port_index].ipv4.value()));
      if (u.dst_ip >> 28 == 0xe) {  // multicast MAC 01:00:5e + low 23 bits of the group
        EXPECT_EQ(f[0], 0x01);
        EXPECT_EQ(f[2], 0x5e);
        EXPECT_EQ(f[5], static_cast<uint8_t>(u.dst_ip));
      } else {
        EXPECT_EQ(f[5], 0x02);  // the port's own MAC
      }
    }
  }
}

// A small market-by-order model, written here from protocols.md §2.5, independent of the
// generator's: it rejects any event the generator should never produce.
struct RefBooks {
  struct O {
    uint16_t locate;
    uint8_t side;
    uint32_t price;
    uint64_t shares;
  };
  std::map<uint64_t, O> orders;
  std::map<uint16_t, uint32_t> last;
  std::map<uint16_t, uint64_t> volume;
  std::map<uint16_t, char> state;
  std::set<uint64_t> refs_seen;

  void trade(uint16_t l, uint32_t price, uint64_t shares) {
    last[l] = price;
    volume[l] += shares;
  }
  void apply(const proto::ItchMessage& m) {
    switch (m.type) {
      case 'A':
      case 'F':
        ASSERT_TRUE(refs_seen.insert(m.order_ref).second) << "reused ref " << m.order_ref;
        orders[m.order_ref] = {m.locate, m.side, m.price, m.shares};
        break;
      case 'E':
      case 'C':
      case 'X': {
        auto it = orders.find(m.order_ref);
        ASSERT_NE(it, orders.end()) << m.type << " of unknown order " << m.order_ref;
        ASSERT_LE(m.shares, it->second.shares) << m.type << " beyond the order";
        ASSERT_EQ(it->second.locate, m.locate);
        if (m.type == 'E') trade(m.locate, it->second.price, m.shares);
        if (m.type == 'C' && m.printable == 'Y') trade(m.locate, m.price, m.shares);
        if ((it->second.shares -= m.shares) == 0) orders.erase(it);
        break;
      }
      case 'D':
        ASSERT_EQ(orders.erase(m.order_ref), 1u) << "delete of unknown order";
        break;
      case 'U': {
        auto it = orders.find(m.order_ref);
        ASSERT_NE(it, orders.end()) << "replace of unknown order";
        ASSERT_TRUE(refs_seen.insert(m.new_order_ref).second);
        O o = it->second;
        orders.erase(it);
        o.price = m.price;
        o.shares = m.shares;
        orders[m.new_order_ref] = o;
        break;
      }
      case 'P':
        trade(m.locate, m.price, m.shares);
        break;
      case 'Q':
        if (m.shares > 0) trade(m.locate, m.price, m.shares);
        break;
      case 'H':
        state[m.locate] = static_cast<char>(m.trading_state);
        break;
      default:
        break;
    }
  }
  void reset() {
    orders.clear();
    last.clear();
    volume.clear();
    state.clear();
  }
};

// Decodes every frame with the project's codecs, checks each block against the script, and
// rebuilds the books from the first copies in sequence order.
void decode_and_check(const GeneratedItch& g) {
  const ScriptIndex idx(g);
  std::map<std::pair<uint32_t, uint64_t>, proto::ItchMessage> first;
  std::vector<uint64_t> copies_by_line(2);
  uint64_t delivered_errors = 0;
  for (size_t i = 0; i < g.transmissions.size(); ++i) {
    const Frame f = g.frame(i);
    const Udp u = parse_udp(f);
    proto::ProtoErrorCounters errors;
    proto::MoldReader r(u.payload, u.len, errors);
    ASSERT_TRUE(r.valid());
    uint32_t session = UINT32_MAX;
    for (uint32_t s = 0; s < g.sessions.size(); ++s)
      if (g.sessions[s] == r.header().session) session = s;
    ASSERT_NE(session, UINT32_MAX) << "unknown session";
    ASSERT_EQ(session, g.packets[g.transmissions[i].packet].session);
    for (proto::MoldBlock b; r.next(b);) {
      ++copies_by_line[g.transmissions[i].line];
      const ItchScriptMessage& want = idx.at(session, b.sequence);
      proto::ItchMessage m;
      proto::ProtoError e{};
      const bool ok = proto::decode_itch(b.data, b.len, m, e);
      if (want.error) {
        ASSERT_FALSE(ok) << "malformed block decoded, seq " << b.sequence;
        ASSERT_EQ(e, *want.error);
        if (first.emplace(std::make_pair(session, b.sequence), proto::ItchMessage{}).second)
          ++delivered_errors;
        continue;
      }
      ASSERT_TRUE(ok) << "seq " << b.sequence << ": " << proto::to_string(e);
      ASSERT_EQ(m, want.msg) << "seq " << b.sequence;
      first.emplace(std::make_pair(session, b.sequence), m);
    }
    EXPECT_EQ(errors.total(), 0u);
  }
  const ItchTruth& t = g.truth;
  EXPECT_EQ(copies_by_line[0], t.lines[0].messages);
  EXPECT_EQ(copies_by_line[1], t.lines[1].messages);
  EXPECT_EQ(first.size(), t.applied);
  EXPECT_EQ(t.applied - t.decoded, delivered_errors);
  // Everything published and not delivered is in a lost range.
  for (uint32_t s = 0; s < g.sessions.size(); ++s)
    for (uint64_t seq = 1; seq <= idx.session_size(s); ++seq) {
      if (first.count({s, seq})) continue;
      bool listed = false;
      for (const auto& lr : t.lost_ranges)
        listed |= lr.session == s && lr.first <= seq && seq <= lr.last;
      EXPECT_TRUE(listed) << "session " << s << " seq " << seq;
    }
  if (t.books_unknown) return;

  RefBooks books;
  uint32_t session = 0;
  for (const auto& [key, m] : first) {
    if (key.first != session) {
      books.reset();
      session = key.first;
    }
    books.apply(m);
    if (::testing::Test::HasFatalFailure()) return;
  }
  for (const ItchBookTruth& want : t.books) {
    SCOPED_TRACE(want.symbol);
    std::map<uint32_t, uint64_t> bids, asks;
    uint64_t live = 0;
    for (const auto& [ref, o] : books.orders) {
      if (o.locate != want.locate) continue;
      (o.side == 'B' ? bids : asks)[o.price] += o.shares;
      ++live;
    }
    EXPECT_EQ(live, want.live_orders);
    EXPECT_EQ(bids.empty() ? 0 : bids.rbegin()->first, want.bid_price);
    EXPECT_EQ(bids.empty() ? 0 : bids.rbegin()->second, want.bid_shares);
    EXPECT_EQ(asks.empty() ? 0 : asks.begin()->first, want.ask_price);
    EXPECT_EQ(asks.empty() ? 0 : asks.begin()->second, want.ask_shares);
    EXPECT_EQ(bids.size(), want.bid_levels);
    EXPECT_EQ(asks.size(), want.ask_levels);
    if (!bids.empty() && !asks.empty()) {
      EXPECT_LT(bids.rbegin()->first, asks.begin()->first);
    }
    EXPECT_EQ(books.last.count(want.locate) != 0, want.has_last_trade);
    EXPECT_EQ(books.last[want.locate], want.last_trade_price);
    EXPECT_EQ(books.volume[want.locate], want.volume);
    EXPECT_EQ(books.state[want.locate], want.trading_state);
  }
}

TEST(ItchCapture, DecodesToTheScriptAndTheBooks) {
  const conf::Config cfg = test_config();
  for (const char* faults :
       {"", "loss_a=3,loss_b=3,duplicate=3,reorder=2,session_change=2,malformed=4",
        "loss_both=2,loss_a=1,malformed=2"}) {
    SCOPED_TRACE(faults);
    ItchFeedSpec s = spec_with(6000, 21, faults);
    s.instruments = 12;
    s.per_packet = 27;
    s.heartbeats = 2;
    decode_and_check(generate_itch(cfg, s));
  }
}

// The appliance's FeedArbiter, fed the capture as the integrity lcore feeds it, must end with
// exactly the truth's counters.
struct ArbiterSink {
  uint64_t applied = 0;
  proto::ProtoErrorCounters errors;
  bool unknown = false;
  void apply(uint64_t, const uint8_t* msg, uint16_t len, bool, integrity::Line, uint64_t) {
    ++applied;
    proto::ItchMessage m;
    proto::decode_itch(msg, len, m, errors);
  }
  void request(const uint8_t*, uint64_t, uint16_t) {}
  void event(const integrity::Event&) {}
  void books_unknown() { unknown = true; }
  void books_reset() { unknown = false; }
};

void expect_arbiter_agrees(const GeneratedItch& g, const conf::FeedConfig& feed) {
  integrity::ArbiterConfig ac;
  ac.window_ns = uint64_t{feed.integrity.window_us} * 1'000;
  ac.lost_after_ns = uint64_t{feed.integrity.lost_after_ms} * 1'000'000;
  ac.rerequest = feed.retransmit.has_value();
  ArbiterSink sink;
  integrity::FeedArbiter<ArbiterSink> arb(ac, sink);
  uint64_t t = 0;
  for (size_t i = 0; i < g.transmissions.size(); ++i) {
    t = g.transmissions[i].timestamp_ns;
    const integrity::Line line =
        g.transmissions[i].line == 0 ? integrity::Line::a : integrity::Line::b;
    const Frame f = g.frame(i);
    const Udp u = parse_udp(f);
    proto::ProtoErrorCounters errors;
    proto::MoldReader r(u.payload, u.len, errors);
    const proto::MoldHeader& h = r.header();
    arb.on_packet(line, reinterpret_cast<const uint8_t*>(h.session.bytes), h.sequence, h.count, t);
    for (proto::MoldBlock b; r.next(b);) arb.on_message(line, b.sequence, b.data, b.len, t);
    arb.tick(t);
  }
  arb.finish(t + 1);

  const ItchTruth& tr = g.truth;
  const integrity::FeedCounters& c = arb.counters();
  EXPECT_EQ(c.applied, tr.applied);
  EXPECT_EQ(sink.applied, tr.applied);
  EXPECT_EQ(c.duplicates, tr.duplicates);
  EXPECT_EQ(c.lost, tr.lost);
  EXPECT_EQ(c.gaps_detected, tr.gaps_detected);
  EXPECT_EQ(c.filled_in_window, tr.filled_in_window);
  EXPECT_EQ(c.sessions, tr.sessions);
  EXPECT_EQ(c.recovered_other_line + c.recovered_rerequest, 0u);
  ASSERT_EQ(arb.lost_ranges().size(), tr.lost_ranges.size());
  for (size_t i = 0; i < tr.lost_ranges.size(); ++i) {
    EXPECT_EQ(arb.lost_ranges()[i].first, tr.lost_ranges[i].first);
    EXPECT_EQ(arb.lost_ranges()[i].last, tr.lost_ranges[i].last);
  }
  for (size_t i = 0; i < proto::kProtoErrorCount; ++i)
    EXPECT_EQ(sink.errors.by_reason[i], tr.decode_errors[i]) << proto::kProtoErrorNames[i];
  EXPECT_EQ(arb.state() == integrity::FeedState::ended, tr.end_of_session);
  EXPECT_EQ(sink.unknown, tr.books_unknown);
  for (size_t l = 0; l < 2; ++l) {
    SCOPED_TRACE(l);
    const integrity::LineHealth& h = arb.line(l == 0 ? integrity::Line::a : integrity::Line::b);
    const ItchLineTruth& lt = tr.lines[l];
    EXPECT_EQ(h.packets, lt.packets);
    EXPECT_EQ(h.messages, lt.messages);
    EXPECT_EQ(h.heartbeats, lt.heartbeats);
    EXPECT_EQ(h.applied, lt.applied);
    EXPECT_EQ(h.duplicates, lt.duplicates);
    EXPECT_EQ(h.own_gaps, lt.own_gaps);
    EXPECT_EQ(h.own_gap_messages, lt.own_gap_messages);
  }
}

TEST(ItchCapture, TheAppliancesArbiterAgreesWithTheTruth) {
  const conf::Config cfg = test_config();
  const char* runs[] = {
      "",
      "loss_a=3,loss_b=3,loss_both=2,duplicate=4,reorder=4,session_change=2,malformed=4",
      "loss_both=3,reorder=2",
      "session_change=3,loss_both=1",
  };
  uint64_t seed = 100;
  for (const char* faults : runs) {
    for (const uint32_t pps : {100'000u, 1'000'000u, 2'000u}) {
      SCOPED_TRACE(std::string(faults) + " pps " + std::to_string(pps));
      ItchFeedSpec s = spec_with(8000, ++seed, faults);
      s.pps = pps;
      if (pps == 2'000) s.b_delay_ns = 400'000;  // 0.4 ms: below both interval and window
      s.heartbeats = 3;
      expect_arbiter_agrees(generate_itch(cfg, s), cfg.feeds[0]);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// tshark as the outside referee: its own MoldUDP64 dissector and the ITCH 5.0 Lua dissector.

std::string run(const std::string& command) {
  std::string out;
  FILE* p = ::popen(command.c_str(), "r");
  if (!p) throw std::runtime_error("popen failed: " + command);
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = ::pclose(p);
  if (status != 0)
    throw std::runtime_error(command + " exited with status " + std::to_string(status));
  return out;
}

size_t count_lines(const std::string& s) {
  return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
}

// The ITCH 5.0 Lua dissector, or "" with `why` set when tshark or the dissector is missing.
std::string find_referee(std::string& why) {
  const char* shared = std::getenv("SY_SHARED_DIR");
  const std::string lua = shared ? std::string(shared) + "/tools/wireshark/itch50.lua" : "";
  if (std::system("command -v tshark >/dev/null 2>&1") != 0) {
    why = "tshark not on PATH";
    return "";
  }
  if (lua.empty() || !std::ifstream(lua).good()) {
    why = "no ITCH 5.0 dissector at $SY_SHARED_DIR/tools/wireshark/itch50.lua";
    return "";
  }
  return lua;
}

bool in_ci() {
  const char* ci = std::getenv("CI");
  return ci && std::string(ci) == "true";
}

// Skips the test without the referee, or fails it in CI (where the referee must be present).
#define SY_REQUIRE_REFEREE(lua)                       \
  std::string why_##lua;                              \
  const std::string lua = find_referee(why_##lua);    \
  if (lua.empty()) {                                  \
    if (in_ci()) FAIL() << why_##lua << " (CI=true)"; \
    GTEST_SKIP() << why_##lua;                        \
  }

// tshark with MoldUDP64 on the feed's ports and ITCH 5.0 on the blocks (protocols.md §6).
std::string tshark_itch(const std::string& lua, const std::string& pcap, const GeneratedItch& g) {
  std::string cmd = "tshark -n -X lua_script:'" + lua + "' -r '" + pcap + "'";
  for (const ItchLineTarget& l : g.lines)
    cmd += " -d udp.port==" + std::to_string(l.udp.dst_port) + ",moldudp64";
  return cmd + " -d moldudp64.payload=itch50";
}

// protocols.md §6 gap check on one line, counting a gap wherever the line skips ahead of its
// own next sequence (as the arbiter's own_gaps does; late copies do not move it back).
size_t tshark_line_gaps(const std::string& pcap, uint16_t port) {
  const std::string p = std::to_string(port);
  const std::string out =
      run("tshark -n -r '" + pcap + "' -d udp.port==" + p + ",moldudp64 -Y 'udp.dstport==" + p +
          " && moldudp64 && !moldudp64.request' -T fields -e moldudp64.sequence"
          " -e moldudp64.count 2>/dev/null"
          " | awk '$2<65535 { if (n && $1>n) print \"gap\"; if ($1+$2>n) n=$1+$2 }'");
  return count_lines(out);
}

TEST(ItchTshark, RefereesTheCapture) {
  SY_REQUIRE_REFEREE(lua);
  const conf::Config cfg = test_config();
  for (const std::string feed : {"itch", "md"}) {  // md: tagged lines, one unicast
    SCOPED_TRACE(feed);
    ItchFeedSpec s = spec_with(3000, 8);
    s.feed = feed;
    s.heartbeats = 2;
    const GeneratedItch g = generate_itch(cfg, s);
    const std::string path = temp_path("tshark_" + feed + ".pcap");
    write_itch(g, path);
    const std::string tshark = tshark_itch(lua, path, g);

    // Nothing malformed, nothing warns or errs. (Comments stay: tshark comments on every
    // end-of-session packet, a known quirk of its MoldUDP64 dissector.)
    const std::string expert = run(tshark + " -q -z expert,warn 2>/dev/null");
    EXPECT_EQ(expert.find("Errors ("), std::string::npos) << expert;
    EXPECT_EQ(expert.find("Warnings ("), std::string::npos) << expert;

    // Every frame is MoldUDP64 of a known session; its ITCH messages are the generator's, type
    // by type (one letter per message, comma separated).
    const std::string rows = run(tshark +
                                 " -T fields -E separator=/t -E occurrence=a -e moldudp64.session"
                                 " -e itch50.message_type 2>/dev/null");
    EXPECT_EQ(count_lines(rows), g.transmissions.size());
    std::map<char, uint64_t> seen, want;
    size_t row_start = 0;
    for (size_t nl; (nl = rows.find('\n', row_start)) != std::string::npos; row_start = nl + 1) {
      const std::string row = rows.substr(row_start, nl - row_start);
      const size_t tab = row.find('\t');
      ASSERT_NE(tab, std::string::npos) << row;
      EXPECT_EQ(row.substr(0, tab), g.truth.session_names[0]) << row;
      for (size_t k = tab + 1; k < row.size(); ++k)
        if (row[k] != ',') ++seen[row[k]];
    }
    const ScriptIndex idx(g);
    for (const ItchTransmission& t : g.transmissions) {
      const ItchPacket& p = g.packets[t.packet];
      for (uint64_t seq = p.sequence; seq < p.sequence + p.blocks(); ++seq)
        ++want[static_cast<char>(idx.at(p.session, seq).msg.type)];
    }
    EXPECT_EQ(seen, want);
    uint64_t total = 0;
    for (const auto& [type, n] : seen) total += n;
    EXPECT_EQ(total, g.truth.lines[0].messages + g.truth.lines[1].messages);

    // A fault-free line has no gap of its own.
    for (const ItchLineTarget& l : g.lines) EXPECT_EQ(tshark_line_gaps(path, l.udp.dst_port), 0u);
    std::remove(path.c_str());
    std::remove(itch_truth_path(path).c_str());
  }
}

// With faults, the referee sees what the truth says: each line's own gaps, and the malformed
// blocks, which the ITCH 5.0 dissector refuses (fewer messages than MoldUDP64 blocks).
TEST(ItchTshark, SeesTheFaults) {
  SY_REQUIRE_REFEREE(lua);
  const GeneratedItch g = generate_itch(
      test_config(), spec_with(3000, 8, "loss_a=2,loss_b=1,reorder=2,duplicate=2,malformed=2"));
  const std::string path = temp_path("tshark_faults.pcap");
  write_itch(g, path);
  for (size_t l = 0; l < 2; ++l)
    EXPECT_EQ(tshark_line_gaps(path, g.lines[l].udp.dst_port), g.truth.lines[l].own_gaps)
        << g.lines[l].name;
  const std::string blocks = run(tshark_itch(lua, path, g) +
                                 " -T fields -E occurrence=a -e moldudp64.msglen"
                                 " -e itch50.message_type 2>/dev/null");
  uint64_t lengths = 0, types = 0;
  for (size_t k = 0, col = 0; k < blocks.size(); ++k) {
    const char ch = blocks[k];
    if (ch == '\n') col = 0;
    if (ch == '\t') ++col;
    const bool starts_value =
        ch != '\n' && ch != '\t' && ch != ',' &&
        (k == 0 || blocks[k - 1] == '\n' || blocks[k - 1] == '\t' || blocks[k - 1] == ',');
    if (starts_value) ++(col == 0 ? lengths : types);
  }
  const ScriptIndex idx(g);
  uint64_t junk_copies = 0;
  for (const ItchTransmission& t : g.transmissions) {
    const ItchPacket& p = g.packets[t.packet];
    for (uint64_t seq = p.sequence; seq < p.sequence + p.blocks(); ++seq)
      junk_copies += idx.at(p.session, seq).error.has_value();
  }
  const uint64_t copies = g.truth.lines[0].messages + g.truth.lines[1].messages;
  EXPECT_EQ(lengths, copies);
  EXPECT_EQ(junk_copies, 4u);  // two blocks, each on both lines
  EXPECT_EQ(types, copies - junk_copies);
  std::remove(path.c_str());
  std::remove(itch_truth_path(path).c_str());
}

}  // namespace
}  // namespace sy::traffic

namespace sy::traffic {
namespace {

TEST(ItchMixText, ParsesWeightsAndRejectsBadInput) {
  const ItchMix m = parse_itch_mix("A=50,D=20,E=0");
  EXPECT_EQ(m.add, 50u);
  EXPECT_EQ(m.del, 20u);
  EXPECT_EQ(m.execute, 0u);
  EXPECT_EQ(m.replace, ItchMix{}.replace);  // omitted: default
  EXPECT_THROW(parse_itch_mix("Z=1"), std::invalid_argument);
  EXPECT_THROW(parse_itch_mix("A=-1"), std::invalid_argument);
  EXPECT_THROW(parse_itch_mix("A30"), std::invalid_argument);
  EXPECT_THROW(parse_itch_mix("A=0,F=0"), std::invalid_argument);
}

TEST(ItchMixText, TheMixDecidesWhichOrderFlowTypesAppear) {
  const conf::Config cfg = test_config();
  ItchFeedSpec s;
  s.messages = 3000;
  s.seed = 4;
  s.mix = parse_itch_mix("A=60,F=0,E=0,C=0,X=0,D=40,U=0,P=0,Q=0,H=0");
  const GeneratedItch g = generate_itch(cfg, s);
  std::map<char, uint64_t> seen;
  for (const auto& m : g.messages) ++seen[static_cast<char>(m.msg.type)];
  EXPECT_GT(seen['A'], 0u);
  EXPECT_GT(seen['D'], 0u);
  for (char t : {'F', 'E', 'C', 'X', 'U', 'P', 'Q'}) EXPECT_EQ(seen[t], 0u) << t;
}

}  // namespace
}  // namespace sy::traffic
