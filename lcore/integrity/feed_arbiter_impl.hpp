// Implementation of FeedArbiter (a template: the sink is inlined into the integrity lcore).
//
// Invariants (checked by tests through the public counters and by asserts here):
//  - every sequence in [next_, high_) is either buffered in its slot or inside exactly one gap;
//  - gaps_ is sorted, disjoint, and gaps_[0] was detected no later than any other gap (new gaps
//    are appended with the current time; a split keeps its parent's time), so the head gap is
//    always the first to time out and losses are declared in sequence order.
#pragma once

#include <algorithm>
#include <cassert>
#include <cstddef>
#include <limits>

namespace sy::integrity {

namespace detail {
inline constexpr uint64_t kEmpty = std::numeric_limits<uint64_t>::max();
}

template <typename Sink>
FeedArbiter<Sink>::FeedArbiter(const ArbiterConfig& cfg, Sink& sink)
    : cfg_(cfg), sink_(sink), slots_(cfg.buffer_slots) {
  assert(cfg.buffer_slots && (cfg.buffer_slots & (cfg.buffer_slots - 1)) == 0);
  assert(cfg.max_gaps > 0);
  for (Slot& s : slots_) s.seq = detail::kEmpty;
  // open_gap keeps at most max_gaps; a fill in the middle of a gap splits it, and on_message
  // retires the oldest gap before a split could outgrow this reservation.
  gaps_.reserve(2 * size_t{cfg.max_gaps} + 2);
  lost_ranges_.reserve(kMaxListedLostRanges);
}

template <typename Sink>
void FeedArbiter<Sink>::emit(EventKind k, uint64_t now, uint64_t first, uint64_t last,
                             uint32_t detail, GapOutcome outcome) {
  Event e{k, now, first, last, detail, outcome};
  sink_.event(e);
}

template <typename Sink>
void FeedArbiter<Sink>::start_session(const uint8_t session[10], uint64_t seq, uint64_t now_ns) {
  std::memcpy(session_, session, sizeof session_);
  have_session_ = true;
  ++c_.sessions;
  next_ = high_ = seq;
  mid_session_ = seq > 1;
  for (LineHealth& l : lines_) l.next_seq = 0;
  state_ = FeedState::healthy;
  emit(EventKind::session_start, now_ns, seq, seq, mid_session_ ? 1u : 0u);
  // A feed joined after its session began cannot know the book: unknown until a session start.
  if (mid_session_)
    sink_.books_unknown();
  else
    sink_.books_reset();
}

template <typename Sink>
void FeedArbiter<Sink>::on_packet(Line line, const uint8_t session[10], uint64_t seq,
                                  uint16_t count, uint64_t now_ns) {
  LineHealth& l = lines_[static_cast<size_t>(line)];
  ++l.packets;
  l.last_seen_ns = now_ns;
  last_packet_ns_ = now_ns;
  foreign_packet_ = false;
  if (stale_) {
    stale_ = false;
    emit(EventKind::live_again, now_ns);
  }

  const bool same_session = have_session_ && std::memcmp(session, session_, sizeof session_) == 0;
  if (line == Line::retransmit && !same_session) {
    foreign_packet_ = true;  // a reply for another session: its messages are not ours
    return;
  }
  if (!have_session_) {
    start_session(session, seq, now_ns);
  } else if (!same_session) {
    // The old session is over: what it still misses is lost; what it holds is applied.
    while (!gaps_.empty()) declare_lost(now_ns, false);
    emit(EventKind::session_change, now_ns, seq, seq);
    start_session(session, seq, now_ns);
  }
  if (state_ == FeedState::unknown) state_ = FeedState::healthy;

  const bool data = count != 0 && count != 0xffff;
  const uint64_t seq_end = data ? seq + count : seq;  // heartbeat/end: seq is the next expected
  if (line != Line::retransmit) {
    if (l.next_seq != 0 && seq > l.next_seq) {
      ++l.own_gaps;
      l.own_gap_messages += seq - l.next_seq;
    }
    l.next_seq = std::max(l.next_seq, seq_end);
  }
  if (!data) {
    ++l.heartbeats;
    if (line != Line::retransmit) note_tail(seq, now_ns);
    if (count == 0xffff && state_ != FeedState::ended) {
      state_ = FeedState::ended;
      emit(EventKind::end_of_session, now_ns, seq, seq);
    }
  }
}

template <typename Sink>
void FeedArbiter<Sink>::note_tail(uint64_t seq_end, uint64_t now_ns) {
  if (seq_end > high_) {
    open_gap(high_, seq_end - 1, now_ns);
    high_ = seq_end;
  }
}

template <typename Sink>
void FeedArbiter<Sink>::open_gap(uint64_t first, uint64_t last, uint64_t now_ns) {
  assert(first <= last);
  assert(gaps_.empty() || gaps_.back().last < first);
  if (gaps_.size() >= cfg_.max_gaps) {
    ++c_.ooo_overflows;
    emit(EventKind::ooo_overflow, now_ns, gaps_[0].first, gaps_[0].last);
    declare_lost(now_ns, true);
  }
  gaps_.push_back(Gap{first, last, now_ns, 0, 0, GapPhase::window, first, last, 0, 0});
}

template <typename Sink>
typename FeedArbiter<Sink>::Gap* FeedArbiter<Sink>::find_gap(uint64_t seq) {
  auto it = std::lower_bound(gaps_.begin(), gaps_.end(), seq,
                             [](const Gap& g, uint64_t s) { return g.last < s; });
  return (it != gaps_.end() && it->first <= seq) ? &*it : nullptr;
}

template <typename Sink>
void FeedArbiter<Sink>::on_message(Line line, uint64_t seq, const uint8_t* msg, uint16_t len,
                                   uint64_t now_ns) {
  LineHealth& l = lines_[static_cast<size_t>(line)];
  ++l.messages;
  if (foreign_packet_ || seq < next_) {
    ++l.duplicates;
    ++c_.duplicates;
    return;
  }

  bool recovered = false;
  if (seq >= high_) {
    if (line == Line::retransmit) {
      // A reply can only fill what we know is missing; beyond it, the lines have not spoken yet.
      ++l.duplicates;
      ++c_.duplicates;
      return;
    }
    if (seq > high_) open_gap(high_, seq - 1, now_ns);
    high_ = seq + 1;
  } else {
    if (slot(seq).seq == seq) {  // already held
      ++l.duplicates;
      ++c_.duplicates;
      return;
    }
    if (gaps_.size() + 1 >= gaps_.capacity()) {  // a split must not reallocate
      ++c_.ooo_overflows;
      emit(EventKind::ooo_overflow, now_ns, gaps_[0].first, gaps_[0].last);
      declare_lost(now_ns, true);
      if (seq < next_) {  // it was in the gap just given up: a late copy of a lost message
        ++l.duplicates;
        ++c_.duplicates;
        return;
      }
    }
    Gap* g = find_gap(seq);
    assert(g != nullptr && "a sequence in [next_, high_) is buffered or in a gap");
    recovered = g->phase == GapPhase::declared;
    fill(*g, seq, line);
  }

  // Far ahead of a gap that still waits: make room by giving up the oldest gaps. While they are
  // given up, `seq` itself is not stored yet: apply_in_order stops before it.
  in_flight_ = seq;
  while (seq - next_ >= slots_.size()) {
    assert(!gaps_.empty());
    ++c_.ooo_overflows;
    emit(EventKind::ooo_overflow, now_ns, gaps_[0].first, gaps_[0].last);
    declare_lost(now_ns, true);
  }
  in_flight_ = detail::kEmpty;

  if (seq != next_ && len > kMaxBufferedMessage) {
    // Cannot wait in a slot: reported as a lost single message rather than dropped silently.
    ++c_.oversize;
    open_gap_for_oversize(seq, now_ns);
    return;
  }
  ++l.applied;  // this line's copy is the one that counts (applied now or from the buffer)
  if (seq == next_) {
    sink_.apply(seq, msg, len, recovered, line, now_ns);
    ++c_.applied;
    c_.applied_recovered += recovered;
    ++next_;
    apply_in_order(now_ns);
    return;
  }
  Slot& s = slot(seq);
  assert(s.seq == detail::kEmpty);
  s.seq = seq;
  s.len = len;
  s.line = static_cast<uint8_t>(line);
  s.recovered = recovered;
  s.rx_ns = now_ns;
  std::memcpy(s.bytes, msg, len);
  ++buffered_;
}

template <typename Sink>
void FeedArbiter<Sink>::open_gap_for_oversize(uint64_t seq, uint64_t /*now_ns*/) {
  // The sequence is known to exist but cannot be held: a one-message gap that is lost at once
  // when it reaches the head (its detection time is now, so later gaps cannot overtake it).
  auto it = std::lower_bound(gaps_.begin(), gaps_.end(), seq,
                             [](const Gap& g, uint64_t s) { return g.last < s; });
  gaps_.insert(it, Gap{seq, seq, 0, 0, cfg_.max_retries + 1, GapPhase::declared, seq, seq, 0, 0});
}

template <typename Sink>
void FeedArbiter<Sink>::fill(Gap& g, uint64_t seq, Line from) {
  if (g.phase == GapPhase::window) {
    ++c_.filled_in_window;
  } else if (from == Line::retransmit) {
    ++c_.recovered_rerequest;
    ++g.filled_by_retransmit;
  } else {
    ++c_.recovered_other_line;
    ++g.filled_by_line;
  }
  if (seq == g.first && seq == g.last) {
    const Gap done = g;
    gaps_.erase(gaps_.begin() + (&g - gaps_.data()));
    if (done.phase == GapPhase::declared)
      emit(EventKind::gap_recovered, last_packet_ns_, done.original_first, done.original_last, 0,
           done.filled_by_retransmit ? GapOutcome::rerequest : GapOutcome::other_line);
    return;
  }
  if (seq == g.first) {
    ++g.first;
  } else if (seq == g.last) {
    --g.last;
  } else {
    Gap right = g;
    right.first = seq + 1;
    g.last = seq - 1;
    const size_t at = static_cast<size_t>(&g - gaps_.data()) + 1;
    gaps_.insert(gaps_.begin() + static_cast<std::ptrdiff_t>(at), right);
  }
}

template <typename Sink>
void FeedArbiter<Sink>::apply_in_order(uint64_t now_ns) {
  (void)now_ns;
  while (next_ < high_ && next_ != in_flight_) {
    if (!gaps_.empty() && gaps_[0].first == next_) return;
    Slot& s = slot(next_);
    assert(s.seq == next_);
    sink_.apply(s.seq, s.bytes, s.len, s.recovered, static_cast<Line>(s.line), s.rx_ns);
    ++c_.applied;
    c_.applied_recovered += s.recovered;
    s.seq = detail::kEmpty;
    --buffered_;
    ++next_;
  }
}

template <typename Sink>
void FeedArbiter<Sink>::declare_lost(uint64_t now_ns, bool overflow) {
  (void)overflow;
  assert(!gaps_.empty());
  apply_in_order(now_ns);  // everything before the head gap is held: apply it first
  const Gap g = gaps_[0];
  assert(next_ == g.first || next_ == in_flight_);
  if (g.phase == GapPhase::window) {
    ++c_.gaps_detected;
    c_.gap_messages += g.original_last - g.original_first + 1;
    emit(EventKind::gap_detected, now_ns, g.original_first, g.original_last);
  }
  c_.lost += g.last - g.first + 1;
  if (lost_ranges_.size() < lost_ranges_.capacity())
    lost_ranges_.push_back({g.first, g.last, now_ns});
  else
    ++c_.lost_ranges_unlisted;
  emit(EventKind::range_lost, now_ns, g.first, g.last);
  sink_.books_unknown();
  gaps_.erase(gaps_.begin());
  next_ = g.last + 1;
  apply_in_order(now_ns);
}

template <typename Sink>
void FeedArbiter<Sink>::send_request(Gap& g, uint64_t now_ns) {
  if (any_request_ && now_ns - last_request_ns_ < cfg_.min_request_gap_ns) {
    ++c_.rerequests_suppressed;
    return;
  }
  const uint64_t want = g.last - g.first + 1;
  const auto count = static_cast<uint16_t>(std::min<uint64_t>(want, cfg_.max_request_messages));
  sink_.request(session_, g.first, count);
  ++g.requests;
  g.last_request_ns = now_ns;
  last_request_ns_ = now_ns;
  any_request_ = true;
  ++c_.rerequests;
  emit(EventKind::rerequest_sent, now_ns, g.first, g.first + count - 1, g.requests);
}

template <typename Sink>
void FeedArbiter<Sink>::tick(uint64_t now_ns) {
  if (!stale_ && last_packet_ns_ != 0 && now_ns - last_packet_ns_ >= cfg_.stale_after_ns) {
    stale_ = true;
    state_ = FeedState::unknown;
    ++c_.stale_periods;
    emit(EventKind::stale, now_ns);
  }
  // Losses first, head first: the head gap is the oldest (see the invariants above).
  while (!gaps_.empty() && gaps_[0].phase == GapPhase::declared &&
         now_ns - gaps_[0].detected_ns >= cfg_.lost_after_ns)
    declare_lost(now_ns, false);
  for (Gap& g : gaps_) {
    if (g.phase == GapPhase::window) {
      if (now_ns - g.detected_ns < cfg_.window_ns) break;  // later gaps are younger
      g.phase = GapPhase::declared;
      ++c_.gaps_detected;
      c_.gap_messages += g.original_last - g.original_first + 1;
      emit(EventKind::gap_detected, now_ns, g.original_first, g.original_last);
    }
    if (cfg_.rerequest && g.requests <= cfg_.max_retries &&
        (g.requests == 0 || now_ns - g.last_request_ns >= cfg_.retry_interval_ns))
      send_request(g, now_ns);
  }
}

template <typename Sink>
void FeedArbiter<Sink>::finish(uint64_t now_ns) {
  while (!gaps_.empty()) declare_lost(now_ns, false);
  apply_in_order(now_ns);
  assert(buffered_ == 0);
}

}  // namespace sy::integrity
