// The execution path's logic without DPDK: UFO sessions toward the strategy clients (the
// appliance is their server) and toward the venue (the appliance is its client), the pre-trade
// risk gate, the fills ledger and the token mapping between them.
//
// A client's OUCH order passes the gate and goes to the venue under a venue token that encodes
// the run and the ledger slot of the order ("SY" + 6 + 6 base-36 digits): the venue's answers
// find their order with no lookup, clients can never collide with each other at the venue, and
// a restarted appliance never reuses a token of its earlier runs on the same venue session.
//
// Cancel-on-connect: after each venue login the router catches up with everything the venue
// session sent (UFO retransmission), learns from it which orders of earlier runs are still open
// (orphan_orders.hpp), and cancels each one once the replay is complete. New orders wait (are
// rejected as venue down) until then. Messages the venue can no longer retransmit are skipped
// and counted (replay_unavailable): orders of earlier runs that only they name cannot be found,
// so the control lcore latches SAFE on that count (hazard venue_replay_incomplete). Answers go back
// to the right client as its own sequenced UFO data with its own token. Rejected orders are
// answered with OUCH Rejected and the reason code of the failing check.
//
// Per datagram: no allocation, no lock, no syscall, no exception. Output goes to a Sink (the
// execution lcore writes straight into mbufs; tests collect bytes):
//   uint8_t* open(const Target&, size_t cap)  room for one UDP payload, nullptr if none
//   void close(size_t len, const Stamp&)      send what was written
//   bool forward_in_place(uint8_t* payload, size_t len, const Stamp//   bool
//   forward_in_place(uint8_t* payload, size_t len)  send the input datagram, rewritten, to)  send
//   the input datagram,
//                                             rewritten, to the venue (its mbuf is reused)
//   void gate_result(const risk::GateResultRecord&)
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "lcore/execution/orphan_orders.hpp"
#include "src/common/histogram.hpp"
#include "src/common/safety.hpp"
#include "src/proto/ouch42.hpp"
#include "src/risk/gate.hpp"
#include "src/risk/market_view.hpp"
#include "src/session/ufo_session.hpp"

namespace sy::exec {

struct Target {
  enum class Kind : uint8_t { client, venue } kind;
  uint16_t session;  // client: index among the client sessions
  session::Endpoint dst;
};

// What an outgoing datagram answers, for the latency histograms.
struct Stamp {
  // upkeep: session upkeep (logins, heartbeats, retransmissions): a refused frame is retried by
  // the session, so it is counted as upkeep_unsent, not as lost data.
  enum class Stage : uint8_t { none, upkeep, order, reject, relay } stage = Stage::none;
  uint64_t in_tsc = 0;  // rx TSC of the datagram it answers
};

struct ClientSessionSpec {
  std::string name;
  session::ServerConfig ufo;
  uint8_t account = 0;  // risk policy account index
};

struct RouterConfig {
  std::vector<ClientSessionSpec> clients;
  session::ClientConfig venue;
  risk::GateConfig gate;
  // This run's number (persisted, strictly increasing across restarts): part of every venue
  // token, so that tokens of earlier runs are recognised as theirs.
  uint64_t token_epoch = 0;
  uint32_t orphan_capacity = 1u << 16;              // orders of earlier runs tracked, power of two
  uint64_t orphan_cancel_retry_ns = 1'000'000'000;  // re-send a cancel still unanswered
};

// X(name, what): counters of the router (single writer: the execution lcore).
#define SY_ROUTER_COUNTERS(X)                                                                    \
  X(orders_in, "OUCH client messages decoded")                                                   \
  X(orders_malformed, "client messages that are not OUCH 4.2 (answered with nothing)")           \
  X(forwarded, "orders sent to the venue")                                                       \
  X(forwarded_in_place, "of which sent in the client's own mbuf")                                \
  X(rejected, "orders answered with OUCH Rejected (FAIL or UNKNOWN)")                            \
  X(ignored, "orders neither forwarded nor answered (used token, order not open)")               \
  X(modify_refused, "Modify Orders the gate refused (neither forwarded nor answered)")           \
  X(venue_down, "orders rejected because the venue session was not up")                          \
  X(no_buffer, "outgoing datagrams that found no buffer (counted by the sink too)")              \
  X(venue_messages, "OUCH venue messages decoded")                                               \
  X(venue_malformed, "venue messages that are not OUCH 4.2")                                     \
  X(venue_unknown_token, "venue messages for a token we never sent")                             \
  X(relayed, "venue messages relayed to their client")                                           \
  X(relay_no_client, "venue messages whose client is not logged in (kept for retransmission)")   \
  X(broadcast, "venue system events relayed to every client")                                    \
  X(emergency_cancels, "cancels sent for open orders on EMERGENCY_STOP")                         \
  X(replay_rejected, "new orders rejected while the venue session replays (as venue down)")      \
  X(replay_unavailable, "venue messages the venue could not replay (orders in them unknown)")    \
  X(orphan_messages, "venue messages for orders of an earlier run (not relayed)")                \
  X(orphans_found, "orders of an earlier run found open at the venue")                           \
  X(orphan_cancels, "cancels sent for orders of an earlier run (cancel-on-connect, retried)")    \
  X(orphans_closed, "orders of an earlier run the venue closed after the restart")               \
  X(orphan_overflow, "venue messages for earlier-run orders beyond orphan_capacity (untracked)") \
  X(ledger_unknown_order, "venue messages the ledger could not apply to their order's state")    \
  X(ledger_overfill, "executions or cancels above the open shares (booked up to them)")          \
  X(ledger_unknown_match, "breaks or corrections of a fill the ledger no longer holds")          \
  X(fills_broken, "executions taken back by a Broken Trade")                                     \
  X(fills_corrected, "executions rebooked by a Trade or Price Correction")                       \
  X(carried_fills, "executions of an earlier run's orders booked into today's positions")        \
  X(carried_unbooked, "executions of an earlier run's orders that could not be booked")

enum class RouterCounter : uint8_t {
#define SY_X(name, what) name,
  SY_ROUTER_COUNTERS(SY_X)
#undef SY_X
};
inline constexpr size_t kRouterCounterCount = 0
#define SY_X(name, what) +1
    SY_ROUTER_COUNTERS(SY_X)
#undef SY_X
    ;
inline constexpr const char* kRouterCounterNames[kRouterCounterCount] = {
#define SY_X(name, what) #name,
    SY_ROUTER_COUNTERS(SY_X)
#undef SY_X
};

// Venue token <-> (run, account, ledger slot): "SY", the run's epoch modulo 36^6, then
// account x 2^25 + slot in 6 base-36 digits (slots < 2^25: execution.max_orders <= 2^24 at
// 3/4 load; 64 accounts x 2^25 < 36^6). The account lets the next run book an earlier run's
// executions into the right positions.
inline constexpr size_t kVenueTokenEpochDigits = 6;
inline constexpr size_t kVenueTokenIdDigits = 6;
inline constexpr uint64_t kVenueTokenEpochs = 2'176'782'336;  // 36^6
inline constexpr unsigned kVenueTokenSlotBits = 25;
static_assert((uint64_t{kMaxAccounts} << kVenueTokenSlotBits) <= kVenueTokenEpochs);
struct VenueTokenId {
  uint32_t slot = 0;
  uint8_t account = 0;
};
void venue_token(uint64_t epoch, VenueTokenId id, char out[risk::kTokenBytes]);
enum class TokenOwner : uint8_t { this_run, earlier_run, not_ours };
// Whose token it is; `id` is set unless not_ours.
TokenOwner venue_token_owner(const char token[risk::kTokenBytes], uint64_t epoch, VenueTokenId& id);

class OrderRouter {
 public:
  OrderRouter(const RouterConfig& cfg, risk::PolicyExchange& policies);

  // Once per burst: picks up a swapped policy and the safety word. On the transition into
  // EMERGENCY_STOP every open order is cancelled at the venue.
  template <typename Sink>
  void begin_burst(uint64_t now_ns, uint64_t safety_word, uint64_t account_kill, Sink& sink);

  template <typename Sink>
  session::Verdict on_client(uint64_t now_ns, uint16_t client, const session::Endpoint& src,
                             uint8_t* payload, size_t len, uint64_t rx_tsc,
                             const risk::MarketView& market, Sink& sink);

  template <typename Sink>
  session::Verdict on_venue(uint64_t now_ns, const session::Endpoint& src, const uint8_t* payload,
                            size_t len, uint64_t rx_tsc, Sink& sink);

  // Timers: heartbeats, timeouts, venue login retries and gap requests.
  template <typename Sink>
  void poll(uint64_t now_ns, Sink& sink);

  // Starts the venue login.
  template <typename Sink>
  void connect(uint64_t now_ns, Sink& sink);

  const risk::Gate& gate() const { return gate_; }
  risk::Gate& gate() { return gate_; }
  size_t clients() const { return clients_.size(); }
  const session::UfoServerSession& client(size_t i) const { return clients_[i]->ufo; }
  const std::string& client_name(size_t i) const { return clients_[i]->name; }
  const session::UfoClientSession& venue() const { return venue_; }
  // Logged in at the venue and caught up with the session's replay: new orders may go.
  bool venue_ready() const {
    return venue_.state() == session::ClientState::active &&
           venue_.next_expected() >= replay_until_;
  }
  // Orders of earlier runs still open at the venue (cancels sent, not yet confirmed).
  uint32_t orphans_open() const { return orphans_.open(); }
  uint64_t token_epoch() const { return epoch_; }
  // Before the lcore starts (the control plane knows the persisted run number after the
  // pipeline is built).
  void set_token_epoch(uint64_t epoch) { epoch_ = epoch % kVenueTokenEpochs; }
  uint64_t counter(RouterCounter c) const { return counters_[static_cast<size_t>(c)]; }
  const uint64_t* counters() const { return counters_; }

 private:
  struct Client {
    Client(const ClientSessionSpec& s) : name(s.name), ufo(s.ufo), account(s.account) {}
    std::string name;
    session::UfoServerSession ufo;
    uint8_t account;
  };

  void count(RouterCounter c, uint64_t n = 1) { counters_[static_cast<size_t>(c)] += n; }
  void count_ledger(risk::VenueEvent::Kind kind, risk::ApplyResult r) {
    switch (r) {
      case risk::ApplyResult::applied:
        if (kind == risk::VenueEvent::Kind::broken) count(RouterCounter::fills_broken);
        if (kind == risk::VenueEvent::Kind::trade_corrected ||
            kind == risk::VenueEvent::Kind::price_corrected)
          count(RouterCounter::fills_corrected);
        return;
      case risk::ApplyResult::unknown_order:
        count(RouterCounter::ledger_unknown_order);
        return;
      case risk::ApplyResult::overfill:
        count(RouterCounter::ledger_overfill);
        return;
      case risk::ApplyResult::unknown_match:
        count(RouterCounter::ledger_unknown_match);
        return;
    }
  }
  template <typename Sink>
  void send_out(const session::Output& out, const Target& via, Sink& sink);
  template <typename Sink>
  void on_client_message(uint64_t now_ns, uint16_t client, uint8_t* msg, size_t len,
                         bool whole_datagram, uint8_t* payload, size_t payload_len, uint64_t rx_tsc,
                         const risk::MarketView& market, Sink& sink);
  template <typename Sink>
  void reject(uint64_t now_ns, uint16_t client, const proto::OuchToken& token, char reason,
              uint64_t rx_tsc, Sink& sink);
  template <typename Sink>
  void send_client(uint64_t now_ns, uint16_t client, const uint8_t* msg, size_t len,
                   const Stamp& stamp, Sink& sink);
  template <typename Sink>
  bool send_venue(uint64_t now_ns, const uint8_t* msg, size_t len, const Stamp& stamp, Sink& sink);
  template <typename Sink>
  void on_venue_message(uint64_t now_ns, const uint8_t* msg, size_t len, uint64_t rx_tsc,
                        Sink& sink);
  template <typename Sink>
  void cancel_all_open(uint64_t now_ns, Sink& sink);
  template <typename Sink>
  void cancel_orphans(uint64_t now_ns, Sink& sink);
  template <typename Sink>
  void send_orphan_cancel(uint64_t now_ns, OrphanOrder& o, Sink& sink);
  template <typename Sink>
  void on_orphan_event(uint64_t now_ns, const risk::VenueEvent& ev, const proto::OuchHostMessage& m,
                       uint8_t account, const proto::OuchToken& token,
                       const proto::OuchToken* previous, Sink& sink);
  template <typename Sink>
  void after_venue_input(uint64_t now_ns, Sink& sink);
  void to_venue_token(uint32_t slot, uint8_t* at) const {
    venue_token(epoch_, {slot, gate_.ledger().order(slot).account}, reinterpret_cast<char*>(at));
  }

  std::vector<std::unique_ptr<Client>> clients_;
  session::UfoClientSession venue_;
  risk::Gate gate_;
  std::unique_ptr<session::Output> out_;  // ~27 KiB, reused by every call
  OrphanOrders orphans_;
  uint64_t epoch_ = 0;
  uint64_t orphan_retry_ns_;
  uint64_t next_orphan_scan_ns_ = 0;
  uint32_t replay_until_ = 1;  // the venue's next sequence at our last login
  bool reconciled_ = false;    // the replay since the last login is complete, cancels sent
  uint64_t safety_word_ = 0;
  uint64_t account_kill_ = 0;
  uint64_t counters_[kRouterCounterCount] = {};
};

}  // namespace sy::exec

#include "lcore/execution/order_router_impl.hpp"
