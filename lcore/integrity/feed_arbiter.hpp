// A/B arbitration, gap detection and recovery for one MoldUDP64 feed.
//
// Pure logic: no DPDK, no clock of its own (time is an argument), so replaying a capture with
// its own timestamps gives the same result every time, and tests drive it directly. It runs on
// the integrity lcore: no allocation after construction, no locks, no exceptions.
//
// Every message sequence number of the session ends in exactly one of: applied (first copy,
// live or recovered), duplicate (later copies), or lost (a reported range). The sink sees the
// applied messages in sequence order, the re-requests to send, and the integrity events.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <vector>

namespace sy::integrity {

enum class Line : uint8_t { a = 0, b = 1, retransmit = 2 };
inline constexpr size_t kLines = 3;
const char* to_string(Line l);

// Where a gap's messages came from in the end.
enum class GapOutcome : uint8_t { other_line, rerequest, lost };

enum class FeedState : uint8_t {
  unknown,  // no packet yet, stale, or joined mid-session: not healthy
  healthy,
  ended,  // end of session seen
};
const char* to_string(FeedState s);

enum class EventKind : uint8_t {
  session_start,   // first packet of a session (mid_session when its first sequence > 1)
  session_change,  // a new session string replaced the old one
  end_of_session,
  gap_detected,  // not filled by the other line within the arbitration window
  rerequest_sent,
  gap_recovered,  // every message of a gap arrived (other line or re-request)
  range_lost,     // [first, last] will never be applied
  stale,          // no packet for stale_after
  live_again,     // a packet after stale
  ooo_overflow,   // the out-of-order buffer was full: the oldest gap was declared lost early
};
const char* to_string(EventKind k);

struct Event {
  EventKind kind;
  uint64_t time_ns;
  uint64_t first = 0;  // sequence range, inclusive, when the event has one
  uint64_t last = 0;
  uint32_t detail = 0;  // rerequest_sent: attempt number; session_start: 1 if mid-session
  GapOutcome outcome = GapOutcome::lost;  // gap_recovered: how
};

struct ArbiterConfig {
  uint64_t window_ns = 1'000'000;           // the other line may fill a gap within this
  uint64_t retry_interval_ns = 10'000'000;  // between re-requests of one gap
  uint32_t max_retries = 3;                 // re-requests per gap
  uint64_t lost_after_ns = 100'000'000;     // from detection to "lost"
  uint64_t min_request_gap_ns = 1'000'000;  // rate limit: at most one re-request per this
  uint32_t max_request_messages = 512;      // messages asked for in one re-request
  uint64_t stale_after_ns = 2'000'000'000;  // no packet on any line -> unknown
  uint32_t buffer_slots = 65536;            // out-of-order messages held; power of two
  uint32_t max_gaps = 256;                  // open gaps tracked at once
  bool rerequest = true;                    // a retransmission server is configured
};

struct LineHealth {
  uint64_t packets = 0;
  uint64_t messages = 0;    // message blocks received on this line
  uint64_t duplicates = 0;  // of them, copies of an already-held sequence
  uint64_t applied = 0;     // of them, the copy that was applied
  uint64_t heartbeats = 0;
  uint64_t own_gaps = 0;  // times this line skipped ahead of its own next sequence
  uint64_t own_gap_messages = 0;
  uint64_t last_seen_ns = 0;
  uint64_t next_seq = 0;  // this line's own next expected sequence
};

struct LostRange {
  uint64_t first, last;
  uint64_t time_ns;
};

struct FeedCounters {
  uint64_t applied = 0;
  uint64_t applied_recovered = 0;  // of applied, after a declared gap (flag recovered)
  uint64_t duplicates = 0;
  uint64_t gaps_detected = 0;  // gaps that outlived the arbitration window
  uint64_t gap_messages = 0;
  uint64_t filled_in_window = 0;      // messages the other line supplied within the window
  uint64_t recovered_other_line = 0;  // messages of declared gaps supplied by a line
  uint64_t recovered_rerequest = 0;   // messages of declared gaps supplied by retransmission
  uint64_t lost = 0;                  // messages
  uint64_t rerequests = 0;
  uint64_t rerequests_suppressed = 0;  // rate limit or retry budget said no
  uint64_t stale_periods = 0;
  uint64_t sessions = 0;
  uint64_t ooo_overflows = 0;
  uint64_t oversize =
      0;  // messages longer than a slot that had to wait: counted lost with their range
  uint64_t lost_ranges_unlisted = 0;  // ranges beyond the list's capacity (totals stay exact)
};

// Messages waiting for a gap before them, copied into fixed slots indexed by sequence.
inline constexpr size_t kSlotBytes = 64;
inline constexpr size_t kMaxBufferedMessage = kSlotBytes - 4;

template <typename Sink>
class FeedArbiter {
 public:
  // Sink must provide:
  //   void apply(uint64_t seq, const uint8_t* msg, uint16_t len, bool recovered, Line from,
  //              uint64_t rx_ns);
  //   void request(const uint8_t session[10], uint64_t first, uint16_t count);
  //   void event(const Event&);
  //   void books_unknown();   // loss or mid-session join: every book of the feed is out of date
  //   void books_reset();     // a session (re)started from sequence 1: books are rebuilt
  FeedArbiter(const ArbiterConfig& cfg, Sink& sink);

  // One MoldUDP64 packet header from `line`. count: blocks that follow (0 heartbeat, 0xffff end
  // of session). Call on_message for each block after it, then end_packet.
  void on_packet(Line line, const uint8_t session[10], uint64_t seq, uint16_t count,
                 uint64_t now_ns);
  void on_message(Line line, uint64_t seq, const uint8_t* msg, uint16_t len, uint64_t now_ns);
  // Timers: windows, re-requests, losses, staleness. Call at least once per burst.
  void tick(uint64_t now_ns);
  // Shutdown: every open gap becomes lost, buffered messages are applied.
  void finish(uint64_t now_ns);

  FeedState state() const { return state_; }
  const FeedCounters& counters() const { return c_; }
  const LineHealth& line(Line l) const { return lines_[static_cast<size_t>(l)]; }
  uint64_t next_sequence() const { return next_; }
  size_t open_gaps() const { return gaps_.size(); }
  size_t buffered() const { return buffered_; }
  bool mid_session() const { return mid_session_; }
  bool has_session() const { return have_session_; }
  const uint8_t* session() const { return session_; }  // 10 bytes, valid if has_session()
  // Lost ranges in the order they were declared (bounded; see lost_ranges_unlisted).
  const std::vector<LostRange>& lost_ranges() const { return lost_ranges_; }
  static constexpr size_t kMaxListedLostRanges = 4096;

 private:
  enum class GapPhase : uint8_t { window, declared };
  struct Gap {
    uint64_t first, last;  // still missing, inclusive (shrinks from either end as fills arrive;
                           // a fill in the middle splits it)
    uint64_t detected_ns;
    uint64_t last_request_ns;
    uint32_t requests;
    GapPhase phase;
    uint64_t original_first, original_last;
    uint64_t filled_by_line, filled_by_retransmit;
  };
  struct Slot {
    uint64_t seq;  // UINT64_MAX when empty
    uint16_t len;
    uint8_t line;
    uint8_t recovered;
    uint64_t rx_ns;
    uint8_t bytes[kSlotBytes];
  };

  void start_session(const uint8_t session[10], uint64_t seq, uint64_t now_ns);
  void note_tail(uint64_t seq_end, uint64_t now_ns);  // sequences below seq_end exist
  void open_gap(uint64_t first, uint64_t last, uint64_t now_ns);
  void open_gap_for_oversize(uint64_t seq, uint64_t now_ns);
  Gap* find_gap(uint64_t seq);
  void fill(Gap& g, uint64_t seq, Line from);
  void apply_in_order(uint64_t now_ns);
  void declare_lost(uint64_t now_ns, bool overflow);  // the head gap
  void send_request(Gap& g, uint64_t now_ns);
  void emit(EventKind k, uint64_t now, uint64_t first = 0, uint64_t last = 0, uint32_t detail = 0,
            GapOutcome outcome = GapOutcome::lost);
  Slot& slot(uint64_t seq) { return slots_[seq & (slots_.size() - 1)]; }

  ArbiterConfig cfg_;
  Sink& sink_;
  std::vector<Slot> slots_;
  std::vector<Gap> gaps_;  // reserved (see the constructor), kept in sequence order
  std::vector<LostRange> lost_ranges_;
  std::array<LineHealth, kLines> lines_{};
  FeedCounters c_{};
  FeedState state_ = FeedState::unknown;
  uint8_t session_[10]{};
  bool have_session_ = false;
  bool mid_session_ = false;
  bool stale_ = false;
  uint64_t next_ = 0;  // next sequence to apply
  uint64_t high_ = 0;  // one past the highest sequence known to exist
  uint64_t last_packet_ns_ = 0;
  uint64_t last_request_ns_ = 0;
  bool any_request_ = false;
  size_t buffered_ = 0;
  uint64_t in_flight_ = UINT64_MAX;  // the sequence on_message is placing (not stored yet)
  bool foreign_packet_ = false;      // the packet being processed is a reply for another session
};

}  // namespace sy::integrity

#include "lcore/integrity/feed_arbiter_impl.hpp"
