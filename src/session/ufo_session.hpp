// UFO 1.0 sessions as pure state machines: the server side (the appliance facing a strategy
// client) and the client side (the appliance facing the venue). Rules: docs protocols.md §4.3.
//
// No I/O, no clock, no allocation after construction, no exceptions: the caller (the execution
// lcore) hands in each received UDP payload with its source endpoint and the current time in ns,
// calls poll() for timers, and puts on the wire what the session writes into a caller-owned
// Output (replies, heartbeats, retransmissions) or into the caller's buffer (send_sequenced /
// send_unsequenced, so the hot path can write straight into an mbuf). Messages the session
// delivers (Event::message) point into the datagram the caller passed: no copy.
//
// Every datagram gets a Verdict; everything not used is counted in SessionCounters under a named
// reason, and the caller maps Verdict::unauthorized to its `unauthorized` drop reason and
// Verdict::malformed to the OeError in Output::error. Credentials are compared in constant time
// and are never part of an event, a counter or any text this module produces.
//
// Typical server use (one UfoServerSession per strategy client):
//   Output out;                                       // 20.2 KiB, allocate once
//   Verdict v = s.on_datagram(now, src, payload, len, out);
//   for (events) ... Event::message -> decode_client(e.data, e.len) -> risk gate
//   for (tx) ... send out.tx[i] to out.tx[i].dst
//   SendResult r = s.send_sequenced(now, ouch_bytes, mbuf_data, room);  // r.len bytes to send
//   s.poll(now, out);                                 // heartbeats, client timeout
// Client side: connect(), then the same on_datagram/poll, send_unsequenced() for OUCH orders, and
// Event::message carries each venue message exactly once, in sequence order.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "src/proto/oe_error.hpp"
#include "src/proto/ufo.hpp"

namespace sy::session {

// Where a datagram came from / goes to. Addresses in host byte order, as in conf::.
struct Endpoint {
  std::array<uint8_t, 6> mac{};
  uint32_t ip = 0;
  uint16_t port = 0;
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

enum class Verdict : uint8_t {
  ok,            // processed (possibly with some messages counted as ignored, see counters)
  unauthorized,  // not from the pinned peer, or not a login while nobody is logged in: dropped
  malformed,     // framing error (Output::error); the whole blocks before it were processed
};

enum class EventKind : uint8_t {
  logged_in,       // server: a client logged in (peer pinned); client: the venue accepted us
  login_rejected,  // server: a login was refused (reason 'A'/'S'); client: the venue refused us
  message,         // server: one unsequenced client message; client: the next venue message
  logged_out,      // server: the client sent Logoff
  timed_out,       // the peer was silent for peer_timeout_ns; server: unpinned; client: re-login
  end_of_session,  // client: the venue ended the session (sequence = its total + 1)
  gap,             // client: messages [sequence, sequence + count) requested again
  unavailable,     // client: messages [sequence, sequence + count) the venue cannot retransmit
};

struct Event {
  EventKind kind;
  uint8_t reason;       // login_rejected: 'A' not authorized, 'S' session unavailable
  uint16_t len;         // message: payload length
  uint32_t sequence;    // message (client side): its sequence number; logged_in: next sequence
  uint32_t count;       // gap: messages requested
  const uint8_t* data;  // message: payload, pointing into the datagram passed in
};

struct TxDatagram {
  Endpoint dst;
  uint16_t len;
  uint8_t bytes[proto::kUfoMaxPacket];
};

// What one on_datagram()/poll()/connect()/end_session() call produced; overwritten by each call.
struct Output {
  // A 1472-byte datagram holds at most 732 sequenced blocks (2-byte empty messages) or 490
  // upstream blocks (3-byte heartbeats): one call never needs more events than this.
  static constexpr size_t kMaxEvents = 736;
  static constexpr size_t kMaxTx = 2;  // a login reply and a retransmission, or a request
  std::array<Event, kMaxEvents> events;
  std::array<TxDatagram, kMaxTx> tx;
  uint32_t n_events = 0;
  uint32_t n_tx = 0;
  proto::OeError error{};  // meaningful when the call returned Verdict::malformed

  void clear() noexcept {
    n_events = 0;
    n_tx = 0;
  }
};

// X(name, what): per-session counters, single writer (the lcore that owns the session).
#define SY_UFO_SESSION_COUNTERS(X)                                                              \
  X(datagrams, "datagrams received")                                                            \
  X(malformed, "datagrams with a framing error (see Output::error)")                            \
  X(wrong_source, "datagrams from an endpoint other than the pinned peer (unauthorized)")       \
  X(not_logged_in, "server: non-login datagrams while nobody is logged in (unauthorized)")      \
  X(logins_accepted, "logins accepted (server: answered A; client: received A)")                \
  X(logins_rejected, "logins refused (server: answered J; client: received J)")                 \
  X(login_repeats, "server: login requests of the logged-in peer, answered A again")            \
  X(logouts, "server: Logoff requests")                                                         \
  X(timeouts, "peer silent for peer_timeout_ns")                                                \
  X(heartbeats_sent, "idle heartbeats sent (server: empty S; client: R)")                       \
  X(messages_in, "messages delivered (server: unsequenced; client: sequenced, in order)")       \
  X(messages_out, "messages sent (server: sequenced; client: unsequenced)")                     \
  X(retained_only, "server: sequenced while no client was logged in (kept for retransmission)") \
  X(retransmit_requests, "server: retransmission requests served")                              \
  X(retransmitted, "server: messages retransmitted")                                            \
  X(retransmit_unavailable, "server: requested messages older than the retransmission buffer")  \
  X(retransmit_future,                                                                          \
    "server: requests starting at or after the next sequence (answered "                        \
    "with a heartbeat)")                                                                        \
  X(replies_suppressed, "server: login or retransmission replies beyond one per datagram")      \
  X(after_end_of_session, "server: unsequenced messages after End of Session (ignored)")        \
  X(after_logoff, "blocks after a Logoff in the same datagram (ignored)")                       \
  X(event_overflow, "messages not delivered because Output::events was full")                   \
  X(duplicates, "client: sequenced messages already delivered")                                 \
  X(out_of_order, "client: sequenced messages beyond a gap (dropped, requested again)")         \
  X(gaps_requested, "client: retransmission requests sent")                                     \
  X(unavailable, "client: messages the venue could not retransmit (skipped)")                   \
  X(not_active, "client: sequenced data or sends while not logged in (ignored / refused)")      \
  X(end_of_session_packets, "client: End of Session packets received")

enum class SessionCounter : uint8_t {
#define SY_X(name, what) name,
  SY_UFO_SESSION_COUNTERS(SY_X)
#undef SY_X
};
inline constexpr size_t kSessionCounterCount = 0
#define SY_X(name, what) +1
    SY_UFO_SESSION_COUNTERS(SY_X)
#undef SY_X
    ;
inline constexpr const char* kSessionCounterNames[kSessionCounterCount] = {
#define SY_X(name, what) #name,
    SY_UFO_SESSION_COUNTERS(SY_X)
#undef SY_X
};

struct SessionCounters {
  uint64_t v[kSessionCounterCount] = {};
  uint64_t operator[](SessionCounter c) const noexcept { return v[static_cast<size_t>(c)]; }
  void add(SessionCounter c, uint64_t n = 1) noexcept { v[static_cast<size_t>(c)] += n; }
};

// ------------------------------------------------------------------ server side

struct ServerConfig {
  proto::UfoSession session{};  // announced in Login Accept
  proto::UfoUsername username{};
  proto::UfoPassword password{};
  uint64_t heartbeat_interval_ns = 1'000'000'000;  // empty S after this much send silence
  uint64_t peer_timeout_ns = 10'000'000'000;       // spec: client must send at least every 10 s
  uint32_t retransmit_capacity = 65'536;           // messages kept for retransmission, >= 1
  uint16_t max_message_len = 80;                   // longest kept message (OUCH 4.2 Replaced)
};

enum class ServerState : uint8_t {
  awaiting_login,  // nobody logged in; only Login Requests are looked at
  active,          // peer pinned
  ended,           // End of Session sent: no more sequenced data, retransmissions still served
};

enum class SendStatus : uint8_t {
  sent,           // `len` bytes written, to send to peer()
  retained_only,  // sequenced and kept, but nobody is logged in: nothing to send now
  too_long,       // longer than max_message_len (server) / a UFO block (client): not sent
  no_room,        // the caller's buffer cannot hold the packet: not sequenced, not sent
  not_active,     // server: session ended; client: not logged in or session ended
};

struct SendResult {
  SendStatus status;
  uint32_t sequence;  // server: the sequence number given to the message (sent/retained_only)
  size_t len;         // bytes written to the caller's buffer
};

class UfoServerSession {
 public:
  // Allocates the retransmission store (capacity x max_message_len) once, here.
  explicit UfoServerSession(const ServerConfig& config);

  Verdict on_datagram(uint64_t now_ns, const Endpoint& src, const uint8_t* p, size_t len,
                      Output& out) noexcept;
  // Client timeout (unpins the peer) and idle heartbeat (End of Session once ended).
  void poll(uint64_t now_ns, Output& out) noexcept;
  // Gives `msg` the next sequence number, keeps it for retransmission and, if a client is
  // logged in, writes the S packet carrying it into `wire` (status sent).
  SendResult send_sequenced(uint64_t now_ns, std::span<const uint8_t> msg, uint8_t* wire,
                            size_t cap) noexcept;
  // Ends the session: writes End of Session (to the peer, if any) and repeats it in poll().
  void end_session(uint64_t now_ns, Output& out) noexcept;

  ServerState state() const noexcept { return state_; }
  bool logged_in() const noexcept { return has_peer_; }
  const Endpoint& peer() const noexcept { return peer_; }
  uint32_t next_sequence() const noexcept { return next_seq_; }
  // The oldest sequence number still retransmittable (== next_sequence() when none kept).
  uint32_t oldest_retained() const noexcept;
  const SessionCounters& counters() const noexcept { return counters_; }

 private:
  void on_login(uint64_t now_ns, const Endpoint& src, const proto::UfoLoginRequest& login,
                Output& out, bool& replied) noexcept;
  void retransmit(uint64_t now_ns, const proto::UfoRetransmissionRequest& req, Output& out,
                  bool& replied) noexcept;
  void unpin() noexcept;
  TxDatagram* tx_slot(Output& out, const Endpoint& dst) noexcept;
  uint8_t* slot(uint32_t seq) noexcept;

  ServerConfig cfg_;
  std::vector<uint8_t> store_;  // capacity slots of {u16 length, max_message_len bytes}
  size_t slot_size_;
  ServerState state_ = ServerState::awaiting_login;
  bool has_peer_ = false;
  Endpoint peer_{};
  uint32_t next_seq_ = 1;
  uint64_t last_rx_ns_ = 0;
  uint64_t last_tx_ns_ = 0;
  SessionCounters counters_;
};

// ------------------------------------------------------------------ client side

struct ClientConfig {
  proto::UfoUsername username{};
  proto::UfoPassword password{};
  // The venue. Before login only its ip/port are checked (a MAC of all zeros matches any); the
  // full endpoint of the Login Accept's source is pinned after login.
  Endpoint server{};
  uint64_t heartbeat_interval_ns = 1'000'000'000;  // R after this much send silence
  uint64_t peer_timeout_ns = 10'000'000'000;       // venue silent this long: log in again
  uint64_t login_retry_ns = 1'000'000'000;         // re-send L until A or J
  uint64_t retransmit_timeout_ns = 100'000'000;    // re-request an unfilled gap after this
  uint16_t max_retransmit_count = 1'000;           // messages asked per request, >= 1
  // A gap whose first message nothing has filled for this long (requests re-sent all along) is
  // given up, as when the venue answers from later (EventKind::unavailable): a venue that stays
  // silent about messages it lost must not stop delivery for good. 0: never.
  uint64_t gap_give_up_ns = 5'000'000'000;
};

// A retransmission request answered this many times in a row from the same later sequence
// (below the end of what is known to be missing: only a retransmission can start there) means
// the venue no longer holds the messages before it (its retransmission buffer is shorter than
// the session): they are skipped, counted and reported (EventKind::unavailable). One such answer
// could be the second packet of an answer whose first was lost, or a late original.
inline constexpr uint8_t kUnavailableAfterAnswers = 3;

enum class ClientState : uint8_t {
  idle,           // not started, or logged out
  login_pending,  // L sent, waiting for A or J (re-sent every login_retry_ns)
  active,         // logged in, peer pinned
  rejected,       // J received; connect() starts again (blank session after a J 'S')
  ended,          // End of Session received: gaps are still requested, sends refused
};

class UfoClientSession {
 public:
  explicit UfoClientSession(const ClientConfig& config);

  // Sends a Login Request (requested session: the one of the last Login Accept, or blank).
  void connect(uint64_t now_ns, Output& out) noexcept;
  Verdict on_datagram(uint64_t now_ns, const Endpoint& src, const uint8_t* p, size_t len,
                      Output& out) noexcept;
  // Login retries, heartbeat, venue timeout (then re-login), gap re-requests.
  void poll(uint64_t now_ns, Output& out) noexcept;
  // One OUCH message in a U block, written into `wire` (status sent), when logged in.
  SendResult send_unsequenced(uint64_t now_ns, std::span<const uint8_t> msg, uint8_t* wire,
                              size_t cap) noexcept;
  // Writes a Logoff to the venue and goes idle.
  void logout(uint64_t now_ns, Output& out) noexcept;

  ClientState state() const noexcept { return state_; }
  const Endpoint& peer() const noexcept { return peer_; }
  const proto::UfoSession& session() const noexcept { return session_; }
  uint32_t next_expected() const noexcept { return next_expected_; }
  const SessionCounters& counters() const noexcept { return counters_; }

 private:
  bool from_server(const Endpoint& src) const noexcept;
  void send_login(uint64_t now_ns, Output& out) noexcept;
  void request_gap(uint64_t now_ns, uint32_t up_to, Output& out, bool force) noexcept;
  void give_up_gap(uint32_t until, Output& out) noexcept;
  TxDatagram* tx_slot(Output& out) noexcept;

  ClientConfig cfg_;
  ClientState state_ = ClientState::idle;
  proto::UfoSession session_{};
  Endpoint peer_{};
  uint32_t next_expected_ = 1;
  uint32_t gap_until_ = 0;        // exclusive end of what is known to be missing
  uint32_t requested_from_ = 0;   // first sequence of the retransmission request in flight
  uint32_t requested_until_ = 0;  // its exclusive end; <= next_expected_ when none is in flight
  uint64_t gap_sent_ns_ = 0;
  uint64_t last_rx_ns_ = 0;
  uint64_t last_tx_ns_ = 0;
  uint64_t login_sent_ns_ = 0;
  uint32_t later_start_ = 0;   // where the last answers to our request started instead
  uint8_t later_answers_ = 0;  // how many in a row started there
  uint32_t stuck_at_ = 0;      // next_expected_ when its gap was first requested
  uint64_t stuck_since_ns_ = 0;
  bool end_seen_ = false;
  SessionCounters counters_;
};

// Constant-time, case-insensitive equality of two alpha fields of the same size: the time taken
// does not depend on where (or whether) they differ.
bool credentials_equal(const uint8_t* a, const uint8_t* b, size_t n) noexcept;

}  // namespace sy::session
