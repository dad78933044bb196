#include "src/session/ufo_session.hpp"

#include <algorithm>
#include <cassert>
#include <cstring>

#include "src/net/wire.hpp"

namespace sy::session {

using proto::UfoDownHeader;
using proto::UfoDownKind;
using proto::UfoUpKind;
using proto::UfoUpMessage;
using proto::UfoUpReader;
using proto::UfoUpWriter;
using C = SessionCounter;

namespace {

// Upper-cases a..z without a branch on the byte's value.
inline uint8_t fold_case(uint8_t c) noexcept {
  const auto lower = static_cast<uint8_t>(static_cast<uint8_t>(c - 'a') <= 25);
  return static_cast<uint8_t>(c - (lower << 5));
}

// True once `interval` has passed since `since`; a clock that went backwards is "not yet".
inline bool elapsed(uint64_t now, uint64_t since, uint64_t interval) noexcept {
  return now >= since && now - since >= interval;
}

bool push_event(Output& out, SessionCounters& counters, const Event& e) noexcept {
  if (out.n_events == Output::kMaxEvents) {
    counters.add(C::event_overflow);
    return false;
  }
  out.events[out.n_events++] = e;
  return true;
}

Event make_event(EventKind kind) noexcept {
  Event e{};
  e.kind = kind;
  return e;
}

}  // namespace

bool credentials_equal(const uint8_t* a, const uint8_t* b, size_t n) noexcept {
  uint8_t diff = 0;
  for (size_t i = 0; i < n; ++i)
    diff = static_cast<uint8_t>(diff | (fold_case(a[i]) ^ fold_case(b[i])));
  return diff == 0;
}

// ================================================================== server

UfoServerSession::UfoServerSession(const ServerConfig& config)
    : cfg_(config), slot_size_(2 + size_t{config.max_message_len}) {
  assert(cfg_.retransmit_capacity >= 1);
  if (cfg_.retransmit_capacity == 0) cfg_.retransmit_capacity = 1;
  store_.assign(size_t{cfg_.retransmit_capacity} * slot_size_, 0);
}

uint32_t UfoServerSession::oldest_retained() const noexcept {
  const uint32_t kept = std::min(next_seq_ - 1, cfg_.retransmit_capacity);
  return next_seq_ - kept;
}

uint8_t* UfoServerSession::slot(uint32_t seq) noexcept {
  return store_.data() + size_t{(seq - 1) % cfg_.retransmit_capacity} * slot_size_;
}

void UfoServerSession::unpin() noexcept {
  has_peer_ = false;
  peer_ = Endpoint{};
  if (state_ == ServerState::active) state_ = ServerState::awaiting_login;
}

TxDatagram* UfoServerSession::tx_slot(Output& out, const Endpoint& dst) noexcept {
  // Bounded by construction: at most one login reply and one retransmission per call.
  assert(out.n_tx < Output::kMaxTx);
  if (out.n_tx == Output::kMaxTx) return nullptr;
  TxDatagram* t = &out.tx[out.n_tx++];
  t->dst = dst;
  t->len = 0;
  return t;
}

Verdict UfoServerSession::on_datagram(uint64_t now_ns, const Endpoint& src, const uint8_t* p,
                                      size_t len, Output& out) noexcept {
  out.clear();
  counters_.add(C::datagrams);
  if (has_peer_) {
    if (!(src == peer_)) {
      counters_.add(C::wrong_source);
      return Verdict::unauthorized;
    }
    last_rx_ns_ = now_ns;
  }
  bool login_replied = false;
  bool retransmit_replied = false;
  UfoUpReader reader(p, len);
  for (UfoUpMessage m; reader.next(m);) {
    if (!has_peer_ && m.kind != UfoUpKind::login_request) {
      counters_.add(C::not_logged_in);
      return Verdict::unauthorized;
    }
    switch (m.kind) {
      case UfoUpKind::login_request:
        on_login(now_ns, src, m.login, out, login_replied);
        break;
      case UfoUpKind::retransmission_request:
        retransmit(now_ns, m.retrans, out, retransmit_replied);
        break;
      case UfoUpKind::unsequenced:
        if (state_ == ServerState::ended) {
          counters_.add(C::after_end_of_session);
          break;
        }
        {
          Event e = make_event(EventKind::message);
          e.data = m.data;
          e.len = m.len;
          if (push_event(out, counters_, e)) counters_.add(C::messages_in);
        }
        break;
      case UfoUpKind::heartbeat:
        break;  // liveness only: last_rx_ns_ was refreshed above
      case UfoUpKind::logoff: {
        counters_.add(C::logouts);
        push_event(out, counters_, make_event(EventKind::logged_out));
        unpin();
        // The client is gone: whatever follows in the datagram is not processed.
        UfoUpMessage rest;
        while (reader.next(rest)) counters_.add(C::after_logoff);
        break;
      }
    }
  }
  if (reader.has_error()) {
    counters_.add(C::malformed);
    out.error = reader.error();
    return Verdict::malformed;
  }
  return Verdict::ok;
}

void UfoServerSession::on_login(uint64_t now_ns, const Endpoint& src,
                                const proto::UfoLoginRequest& login, Output& out,
                                bool& replied) noexcept {
  if (replied) {
    counters_.add(C::replies_suppressed);
    return;
  }
  replied = true;
  // Both fields are always compared in full: the answer's timing says nothing about which one
  // (or which byte) was wrong.
  const bool user_ok = credentials_equal(reinterpret_cast<const uint8_t*>(login.username.data()),
                                         reinterpret_cast<const uint8_t*>(cfg_.username.data()),
                                         proto::kUfoUsernameLen);
  const bool pass_ok = credentials_equal(reinterpret_cast<const uint8_t*>(login.password.data()),
                                         reinterpret_cast<const uint8_t*>(cfg_.password.data()),
                                         proto::kUfoPasswordLen);
  const bool session_ok =
      (proto::is_blank(login.requested_session) || login.requested_session == cfg_.session) &&
      !(state_ == ServerState::ended && !has_peer_);
  TxDatagram* t = tx_slot(out, src);
  if (t == nullptr) return;
  if (!(user_ok & pass_ok) || !session_ok) {
    const uint8_t reason =
        (user_ok & pass_ok) ? proto::kUfoRejectSessionUnavailable : proto::kUfoRejectNotAuthorized;
    t->len =
        static_cast<uint16_t>(proto::build_ufo_login_reject(t->bytes, sizeof t->bytes, reason));
    counters_.add(C::logins_rejected);
    Event e = make_event(EventKind::login_rejected);
    e.reason = reason;
    push_event(out, counters_, e);
    return;
  }
  if (has_peer_) {
    counters_.add(C::login_repeats);  // lost Accept: answer again, nothing changes
  } else {
    has_peer_ = true;
    peer_ = src;
    if (state_ == ServerState::awaiting_login) state_ = ServerState::active;
    counters_.add(C::logins_accepted);
    Event e = make_event(EventKind::logged_in);
    e.sequence = next_seq_;
    push_event(out, counters_, e);
  }
  last_rx_ns_ = now_ns;
  last_tx_ns_ = now_ns;
  t->len = static_cast<uint16_t>(
      proto::build_ufo_login_accept(t->bytes, sizeof t->bytes, cfg_.session, next_seq_));
}

void UfoServerSession::retransmit(uint64_t now_ns, const proto::UfoRetransmissionRequest& req,
                                  Output& out, bool& replied) noexcept {
  if (replied) {
    counters_.add(C::replies_suppressed);
    return;
  }
  replied = true;
  counters_.add(C::retransmit_requests);
  uint32_t from = req.sequence;
  if (from >= next_seq_) {
    // Nothing there yet: a heartbeat tells the client the real next sequence number.
    counters_.add(C::retransmit_future);
    TxDatagram* t = tx_slot(out, peer_);
    if (t == nullptr) return;
    t->len =
        static_cast<uint16_t>(proto::build_ufo_heartbeat(t->bytes, sizeof t->bytes, next_seq_));
    last_tx_ns_ = now_ns;
    return;
  }
  uint32_t end = static_cast<uint32_t>(std::min<uint64_t>(uint64_t{from} + req.count, next_seq_));
  const uint32_t oldest = oldest_retained();
  if (from < oldest) {
    counters_.add(C::retransmit_unavailable, std::min(end, oldest) - from);
    // Nothing of it held any more: the answer starts at the oldest message that is, so the
    // client can tell lost from late (UfoClientSession gives the rest up).
    if (end <= oldest)
      end = static_cast<uint32_t>(std::min<uint64_t>(uint64_t{oldest} + req.count, next_seq_));
    from = oldest;
  }
  if (from >= end) return;
  TxDatagram* t = tx_slot(out, peer_);
  if (t == nullptr) return;
  // Whole messages only, as many as fit: the client asks again for the rest.
  proto::UfoSequencedWriter w(t->bytes, sizeof t->bytes, from);
  for (uint32_t s = from; s < end; ++s) {
    const uint8_t* sl = slot(s);
    const uint16_t n = net::load_be16(sl);
    if (!w.add({sl + 2, n})) break;
  }
  counters_.add(C::retransmitted, w.count());
  t->len = static_cast<uint16_t>(w.size());
  last_tx_ns_ = now_ns;
}

SendResult UfoServerSession::send_sequenced(uint64_t now_ns, std::span<const uint8_t> msg,
                                            uint8_t* wire, size_t cap) noexcept {
  if (state_ == ServerState::ended) return {SendStatus::not_active, 0, 0};
  if (msg.size() > cfg_.max_message_len) return {SendStatus::too_long, 0, 0};
  const size_t wire_len = proto::kUfoSequencedHeaderLen + proto::kUfoBlockHeaderLen + msg.size();
  if (has_peer_ && cap < wire_len) return {SendStatus::no_room, 0, 0};
  const uint32_t seq = next_seq_++;
  uint8_t* sl = slot(seq);
  net::store_be16(sl, static_cast<uint16_t>(msg.size()));
  if (!msg.empty()) std::memcpy(sl + 2, msg.data(), msg.size());
  counters_.add(C::messages_out);
  if (!has_peer_) {
    counters_.add(C::retained_only);
    return {SendStatus::retained_only, seq, 0};
  }
  proto::UfoSequencedWriter w(wire, cap, seq);
  const bool added = w.add(msg);
  assert(added);
  (void)added;
  last_tx_ns_ = now_ns;
  return {SendStatus::sent, seq, w.size()};
}

void UfoServerSession::poll(uint64_t now_ns, Output& out) noexcept {
  out.clear();
  if (!has_peer_) return;
  if (elapsed(now_ns, last_rx_ns_, cfg_.peer_timeout_ns)) {
    counters_.add(C::timeouts);
    push_event(out, counters_, make_event(EventKind::timed_out));
    unpin();
    return;
  }
  if (elapsed(now_ns, last_tx_ns_, cfg_.heartbeat_interval_ns)) {
    TxDatagram* t = tx_slot(out, peer_);
    if (t == nullptr) return;
    t->len = static_cast<uint16_t>(
        state_ == ServerState::ended
            ? proto::build_ufo_end_of_session(t->bytes, sizeof t->bytes, next_seq_ - 1)
            : proto::build_ufo_heartbeat(t->bytes, sizeof t->bytes, next_seq_));
    counters_.add(C::heartbeats_sent);
    last_tx_ns_ = now_ns;
  }
}

void UfoServerSession::end_session(uint64_t now_ns, Output& out) noexcept {
  out.clear();
  state_ = ServerState::ended;
  if (!has_peer_) return;
  TxDatagram* t = tx_slot(out, peer_);
  if (t == nullptr) return;
  t->len = static_cast<uint16_t>(
      proto::build_ufo_end_of_session(t->bytes, sizeof t->bytes, next_seq_ - 1));
  last_tx_ns_ = now_ns;
}

// ================================================================== client

UfoClientSession::UfoClientSession(const ClientConfig& config) : cfg_(config) {
  assert(cfg_.max_retransmit_count >= 1);
  if (cfg_.max_retransmit_count == 0) cfg_.max_retransmit_count = 1;
  session_.fill(' ');
}

bool UfoClientSession::from_server(const Endpoint& src) const noexcept {
  static constexpr std::array<uint8_t, 6> kAnyMac{};
  return src.ip == cfg_.server.ip && src.port == cfg_.server.port &&
         (cfg_.server.mac == kAnyMac || src.mac == cfg_.server.mac);
}

TxDatagram* UfoClientSession::tx_slot(Output& out) noexcept {
  assert(out.n_tx < Output::kMaxTx);
  if (out.n_tx == Output::kMaxTx) return nullptr;
  TxDatagram* t = &out.tx[out.n_tx++];
  const bool pinned = state_ == ClientState::active || state_ == ClientState::ended;
  t->dst = pinned ? peer_ : cfg_.server;
  t->len = 0;
  return t;
}

void UfoClientSession::send_login(uint64_t now_ns, Output& out) noexcept {
  TxDatagram* t = tx_slot(out);
  if (t == nullptr) return;
  UfoUpWriter w(t->bytes, sizeof t->bytes);
  w.add_login({cfg_.username, cfg_.password, session_});
  t->len = static_cast<uint16_t>(w.size());
  login_sent_ns_ = now_ns;
  last_tx_ns_ = now_ns;
}

void UfoClientSession::connect(uint64_t now_ns, Output& out) noexcept {
  out.clear();
  state_ = ClientState::login_pending;
  peer_ = Endpoint{};
  end_seen_ = false;
  send_login(now_ns, out);
}

void UfoClientSession::request_gap(uint64_t now_ns, uint32_t up_to, Output& out,
                                   bool force) noexcept {
  gap_until_ = std::max(gap_until_, up_to);
  if (gap_until_ <= next_expected_) return;
  // One request in flight at a time: the next one goes when it is answered or times out.
  if (!force && requested_until_ > next_expected_ &&
      !elapsed(now_ns, gap_sent_ns_, cfg_.retransmit_timeout_ns))
    return;
  const uint32_t count = std::min<uint32_t>(gap_until_ - next_expected_, cfg_.max_retransmit_count);
  TxDatagram* t = tx_slot(out);
  if (t == nullptr) return;
  UfoUpWriter w(t->bytes, sizeof t->bytes);
  w.add_retransmission_request(next_expected_, static_cast<uint16_t>(count));
  t->len = static_cast<uint16_t>(w.size());
  requested_from_ = next_expected_;
  requested_until_ = next_expected_ + count;
  gap_sent_ns_ = now_ns;
  if (stuck_at_ != next_expected_) {
    stuck_at_ = next_expected_;
    stuck_since_ns_ = now_ns;
  }
  last_tx_ns_ = now_ns;
  counters_.add(C::gaps_requested);
  Event e = make_event(EventKind::gap);
  e.sequence = next_expected_;
  e.count = count;
  push_event(out, counters_, e);
}

Verdict UfoClientSession::on_datagram(uint64_t now_ns, const Endpoint& src, const uint8_t* p,
                                      size_t len, Output& out) noexcept {
  out.clear();
  counters_.add(C::datagrams);
  const bool pinned = state_ == ClientState::active || state_ == ClientState::ended;
  if (pinned ? !(src == peer_) : !from_server(src)) {
    counters_.add(C::wrong_source);
    return Verdict::unauthorized;
  }
  UfoDownHeader h{};
  proto::OeError error{};
  if (!proto::parse_ufo_down(p, len, h, error)) {
    counters_.add(C::malformed);
    out.error = error;
    return Verdict::malformed;
  }
  switch (h.kind) {
    case UfoDownKind::login_accept: {
      if (state_ == ClientState::idle || state_ == ClientState::rejected) {
        counters_.add(C::not_active);
        return Verdict::ok;
      }
      last_rx_ns_ = now_ns;
      session_ = h.session;
      if (state_ == ClientState::login_pending) {
        peer_ = src;
        state_ = ClientState::active;
        stuck_at_ = 0;  // a new connection gets the whole give-up time for an old gap
        counters_.add(C::logins_accepted);
        Event e = make_event(EventKind::logged_in);
        e.sequence = h.sequence;
        push_event(out, counters_, e);
      }
      // Joined late, or messages went out while we were away: ask for them.
      if (h.sequence > next_expected_) request_gap(now_ns, h.sequence, out, false);
      return Verdict::ok;
    }
    case UfoDownKind::login_reject: {
      if (state_ != ClientState::login_pending) {
        counters_.add(C::not_active);
        return Verdict::ok;
      }
      counters_.add(C::logins_rejected);
      Event e = make_event(EventKind::login_rejected);
      e.reason = h.reject_reason;
      push_event(out, counters_, e);
      state_ = ClientState::rejected;
      if (h.reject_reason == proto::kUfoRejectSessionUnavailable) {
        // The session we asked for is over: the next login asks for a new one, from 1.
        session_.fill(' ');
        next_expected_ = 1;
        gap_until_ = 0;
        requested_until_ = 0;
        stuck_at_ = 0;
      }
      return Verdict::ok;
    }
    case UfoDownKind::end_of_session: {
      if (!pinned) {
        counters_.add(C::not_active);
        return Verdict::ok;
      }
      last_rx_ns_ = now_ns;
      counters_.add(C::end_of_session_packets);
      if (!end_seen_) {
        end_seen_ = true;
        state_ = ClientState::ended;
        Event e = make_event(EventKind::end_of_session);
        e.sequence = h.total + 1;
        push_event(out, counters_, e);
      }
      request_gap(now_ns, h.total + 1, out, false);
      return Verdict::ok;
    }
    case UfoDownKind::sequenced:
      break;
  }
  if (!pinned) {
    counters_.add(C::not_active);
    return Verdict::ok;
  }
  last_rx_ns_ = now_ns;
  // An answer to our request that starts after where we asked (only retransmissions carry
  // sequences below the request's end): kUnavailableAfterAnswers of them from the same place
  // and the messages before it are given up.
  if (h.count != 0 && requested_until_ > next_expected_ && requested_from_ == next_expected_ &&
      h.sequence > next_expected_ && h.sequence < gap_until_) {
    later_answers_ = h.sequence == later_start_ ? static_cast<uint8_t>(later_answers_ + 1) : 1;
    later_start_ = h.sequence;
    requested_until_ = 0;  // answered: ask again at once
    if (later_answers_ >= kUnavailableAfterAnswers) give_up_gap(h.sequence, out);
  }
  proto::UfoBlockReader reader(p, len, h);
  for (proto::UfoBlock b; reader.next(b);) {
    if (b.sequence < next_expected_) {
      counters_.add(C::duplicates);
    } else if (b.sequence > next_expected_) {
      counters_.add(C::out_of_order);  // requested again below; delivered in order later
    } else {
      Event e = make_event(EventKind::message);
      e.sequence = b.sequence;
      e.data = b.data;
      e.len = b.len;
      // A full event array stops delivery; the rest counts as a gap and is asked for again.
      if (!push_event(out, counters_, e)) continue;
      ++next_expected_;
      later_answers_ = 0;
      counters_.add(C::messages_in);
    }
  }
  // A packet starting where our request started is its answer, complete or not (the venue sends
  // only what fits in one packet): the request is no longer in flight, so the rest, if any, is
  // asked for at once.
  if (h.count != 0 && h.sequence == requested_from_) requested_until_ = 0;
  // The packet's announced end (a heartbeat's next sequence; blocks lost to a truncation too).
  request_gap(now_ns, h.sequence + h.count, out, false);
  if (reader.has_error()) {
    counters_.add(C::malformed);
    out.error = reader.error();
    return Verdict::malformed;
  }
  return Verdict::ok;
}

// Skips [next_expected_, until): counted and reported; delivery goes on from `until`.
void UfoClientSession::give_up_gap(uint32_t until, Output& out) noexcept {
  Event e = make_event(EventKind::unavailable);
  e.sequence = next_expected_;
  e.count = until - next_expected_;
  push_event(out, counters_, e);
  counters_.add(C::unavailable, e.count);
  next_expected_ = until;
  later_answers_ = 0;
  requested_until_ = 0;
}

void UfoClientSession::poll(uint64_t now_ns, Output& out) noexcept {
  out.clear();
  switch (state_) {
    case ClientState::idle:
    case ClientState::rejected:
      return;
    case ClientState::login_pending:
      if (elapsed(now_ns, login_sent_ns_, cfg_.login_retry_ns)) send_login(now_ns, out);
      return;
    case ClientState::active:
    case ClientState::ended:
      break;
  }
  if (elapsed(now_ns, last_rx_ns_, cfg_.peer_timeout_ns)) {
    counters_.add(C::timeouts);
    push_event(out, counters_, make_event(EventKind::timed_out));
    state_ = ClientState::login_pending;
    peer_ = Endpoint{};
    requested_until_ = 0;
    send_login(now_ns, out);  // same session: the venue replays what we missed on request
    return;
  }
  if (gap_until_ > next_expected_ && cfg_.gap_give_up_ns != 0 && stuck_at_ == next_expected_ &&
      elapsed(now_ns, stuck_since_ns_, cfg_.gap_give_up_ns))
    give_up_gap(gap_until_, out);  // nothing at all came for it: everything known missing
  if (gap_until_ > next_expected_ && elapsed(now_ns, gap_sent_ns_, cfg_.retransmit_timeout_ns))
    request_gap(now_ns, gap_until_, out, true);
  if (elapsed(now_ns, last_tx_ns_, cfg_.heartbeat_interval_ns)) {
    TxDatagram* t = tx_slot(out);
    if (t == nullptr) return;
    UfoUpWriter w(t->bytes, sizeof t->bytes);
    w.add_heartbeat();
    t->len = static_cast<uint16_t>(w.size());
    counters_.add(C::heartbeats_sent);
    last_tx_ns_ = now_ns;
  }
}

SendResult UfoClientSession::send_unsequenced(uint64_t now_ns, std::span<const uint8_t> msg,
                                              uint8_t* wire, size_t cap) noexcept {
  if (state_ != ClientState::active) {
    counters_.add(C::not_active);
    return {SendStatus::not_active, 0, 0};
  }
  if (msg.size() + 1 > proto::kUfoMaxUpstreamMessage) return {SendStatus::too_long, 0, 0};
  UfoUpWriter w(wire, cap);
  if (!w.add_unsequenced(msg)) return {SendStatus::no_room, 0, 0};
  last_tx_ns_ = now_ns;
  counters_.add(C::messages_out);
  return {SendStatus::sent, 0, w.size()};
}

void UfoClientSession::logout(uint64_t now_ns, Output& out) noexcept {
  out.clear();
  if (state_ == ClientState::idle) return;
  if (state_ != ClientState::rejected) {
    TxDatagram* t = tx_slot(out);
    if (t != nullptr) {
      UfoUpWriter w(t->bytes, sizeof t->bytes);
      w.add_logoff();
      t->len = static_cast<uint16_t>(w.size());
      last_tx_ns_ = now_ns;
    }
  }
  state_ = ClientState::idle;
  peer_ = Endpoint{};
}

}  // namespace sy::session
