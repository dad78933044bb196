// A deterministic venue for tests and benchmarks: a UFO server (one client, the appliance's venue
// session) speaking OUCH 4.2, as pure logic: datagram in, datagrams out, time injected.
//
// Rules, applied to each client message in arrival order:
//  - Enter Order: a token used before on this session is ignored (OUCH: re-sent messages are
//    idempotent). Rejected (token consumed) when the token starts with reject_token_prefix or the
//    stock is in reject_stocks (reason reject_reason), the stock has no reference price ('S'),
//    shares are 0 or above 999,999 ('Z'), or the price is 0 or above the OUCH maximum ('X'), or
//    the order table is full ('O'). Otherwise Accepted (state L, a new order reference), then:
//    a buy whose price >= the stock's reference price, or a sell (S, T, E) whose price <= it,
//    executes in full at the reference price (Executed, liquidity 'R', a new match number); an
//    order that does not cross with Time in Force 0 (IOC) is Canceled (reason 'I'); any other
//    order rests.
//  - Cancel Order: on a resting order with shares below its remaining size, Canceled for the
//    difference (reason 'U'); the order ends at 0. Anything else (unknown, done, not smaller) is
//    ignored, as OUCH ignores redundant cancels.
//  - Replace Order: on a resting order with an unused replacement token, Replaced (new token,
//    shares, price, same stock and side), then the crossing rule again. Otherwise ignored.
//  - Modify Order: on a resting order, Order Modified with the new side and shares (a resting
//    order has no executions, so the shares liable are the shares open). 0 shares, or a side
//    change other than among S, T and E, is ignored (OUCH).
// On demand (a test or an operator, not a client message), the venue breaks or corrects one of
// its last max_orders executions by match number: Broken Trade, Trade Correction or Price
// Correction, sequenced like the rest.
// Each response goes out as its own sequenced packet through UfoServerSession, so losses,
// retransmissions and heartbeats behave like the real session layer.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "src/proto/ouch42.hpp"
#include "src/session/ufo_session.hpp"

namespace sy::traffic {

struct VenueInstrument {
  proto::OuchStock stock{};
  uint32_t reference_price = 0;  // Price(4)
};

struct VenueConfig {
  session::ServerConfig session;
  std::vector<VenueInstrument> instruments;
  std::vector<proto::OuchStock> reject_stocks;  // every Enter on these is Rejected
  std::string reject_token_prefix = "REJ";      // empty: no token-driven rejects
  uint8_t reject_reason = 'H';                  // reason for the two rules above
  uint32_t max_orders = 65'536;                 // tokens remembered (table allocated once)
  uint64_t first_order_reference = 1;
  uint64_t first_match_number = 1;
  // A Retransmission Request for messages the session no longer holds gets no answer at all
  // (some venues stay silent), instead of the held part from the oldest kept message.
  bool silent_about_lost = false;
};

struct VenueCounts {
  uint64_t enters = 0, accepted = 0, rejected = 0, executed = 0, executed_shares = 0, canceled = 0,
           canceled_shares = 0, replaced = 0, modified = 0, ignored = 0, undecodable = 0,
           unsent = 0, broken = 0, corrected = 0;
  uint64_t unanswered_requests = 0;  // silent_about_lost: requests left without an answer
  uint64_t rejected_by_reason[256] = {};
};

class VenueSim {
 public:
  explicit VenueSim(const VenueConfig& config);

  // One datagram from the client. Appends what the venue sends back to `out` (not cleared).
  session::Verdict on_datagram(uint64_t now_ns, const session::Endpoint& src, const uint8_t* p,
                               size_t len, std::vector<session::TxDatagram>& out);
  // Heartbeats and client timeout; appends to `out`.
  void poll(uint64_t now_ns, std::vector<session::TxDatagram>& out);

  const VenueCounts& counts() const { return counts_; }
  const session::UfoServerSession& session() const { return session_; }
  // Breaks or corrects the execution `match` (appends the message to `out`); false when the
  // venue no longer remembers it or it was broken.
  bool break_trade(uint64_t now_ns, uint64_t match, uint8_t reason,
                   std::vector<session::TxDatagram>& out);
  bool correct_trade(uint64_t now_ns, uint64_t match, uint32_t shares, uint32_t price,
                     std::vector<session::TxDatagram>& out);
  bool correct_price(uint64_t now_ns, uint64_t match, uint32_t price,
                     std::vector<session::TxDatagram>& out);
  // The match number the next execution gets.
  uint64_t next_match_number() const { return next_match_number_; }

  // Orders resting now, and the total of their remaining shares.
  uint64_t resting_orders() const;
  uint64_t resting_shares() const;

 private:
  struct Order {
    proto::OuchToken token;
    proto::OuchStock stock;
    uint32_t price;
    uint32_t remaining;
    uint32_t reference_price;
    uint8_t side;
    bool used;  // slot holds a token
    bool live;  // resting
  };

  struct Execution {
    uint64_t match = 0;
    proto::OuchToken token{};
    uint32_t shares = 0;
    uint32_t price = 0;
    bool broken = false;
  };
  Execution* execution(uint64_t match);  // nullptr when forgotten, broken or never made
  // Sends message M (timestamp, token, match filled in, the rest by `fill(M&, Execution&)`)
  // about the execution `match`; false when there is none.
  template <class M, class Amend>
  bool amend(uint64_t now_ns, uint64_t match, std::vector<session::TxDatagram>& out, Amend&& fill);

  void on_message(uint64_t now_ns, const uint8_t* p, size_t len,
                  std::vector<session::TxDatagram>& out);
  void enter(uint64_t now_ns, const proto::EnterOrder& m, std::vector<session::TxDatagram>& out);
  void cancel(uint64_t now_ns, const proto::CancelOrder& m, std::vector<session::TxDatagram>& out);
  void replace(uint64_t now_ns, const proto::ReplaceOrder& m,
               std::vector<session::TxDatagram>& out);
  void modify(uint64_t now_ns, const proto::ModifyOrder& m, std::vector<session::TxDatagram>& out);
  void reject(uint64_t now_ns, const proto::OuchToken& token, uint8_t reason,
              std::vector<session::TxDatagram>& out);
  // Executes `o` in full if it crosses its reference price; true if it did.
  bool maybe_execute(uint64_t now_ns, Order& o, std::vector<session::TxDatagram>& out);
  template <class M>
  void send(uint64_t now_ns, const M& m, std::vector<session::TxDatagram>& out);
  void append(const session::Output& o, std::vector<session::TxDatagram>& out);

  Order* find(const proto::OuchToken& token);
  Order* insert(const proto::OuchToken& token);  // nullptr when full
  const VenueInstrument* instrument(const proto::OuchStock& stock) const;

  VenueConfig cfg_;
  session::UfoServerSession session_;
  std::vector<Order> orders_;  // open addressing, power-of-two size, never shrinks
  size_t used_ = 0;
  uint64_t next_order_reference_;
  uint64_t next_match_number_;
  std::vector<Execution> executions_;  // ring by match number, max_orders entries
  VenueCounts counts_;
  session::Output scratch_;
};

}  // namespace sy::traffic
