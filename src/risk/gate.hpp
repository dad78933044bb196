// The pre-trade risk gate: one decision per order intent, on the execution lcore.
//
// decide() runs the checks of checks.hpp in their fixed order and stops at the first failure;
// it records which ran, which failed, the value seen and the limit. Per call: no allocation,
// no lock, no syscall, no exception; the tables it touches were sized at construction. The
// gate owns the fills ledger: an order it lets through is reserved in the ledger at once, so
// the next order's limits already count it, before the venue has answered.
//
// Threading: one gate per execution lcore, used by that lcore only. The policy comes from a
// PolicyExchange (begin_burst() picks up a swapped policy); the safety word and the account
// kill mask are read by the caller once per burst and passed in.
#pragma once

#include <cstdint>

#include "src/common/counter.hpp"
#include "src/common/safety.hpp"
#include "src/risk/checks.hpp"
#include "src/risk/gate_result.hpp"
#include "src/risk/ledger.hpp"
#include "src/risk/market_view.hpp"
#include "src/risk/order_intent.hpp"
#include "src/risk/policy_exchange.hpp"

namespace sy::risk {

// The TSC, or a monotonic nanosecond clock where there is none.
uint64_t read_tsc();

struct GateConfig {
  Ledger::Capacity capacity;
  uint64_t tsc_hz = 1'000'000'000;           // converts rx and decision TSC to latency_ns
  uint64_t (*read_tsc)() = &risk::read_tsc;  // tests substitute a fixed clock
};

// Read by other threads without locks (single writer: the gate's lcore).
struct GateCounters {
  Counter decisions[4];         // by Decision
  Counter failed[kCheckCount];  // first failing check
};

class Gate {
 public:
  Gate(PolicyExchange& policies, const GateConfig& config);
  Gate(const Gate&) = delete;
  Gate& operator=(const Gate&) = delete;

  // Once per burst, before the burst's decide() calls: picks up a swapped-in policy.
  void begin_burst() { policy_ = policies_.acquire(); }

  // `now_ns` is the time base of the market data rx_ns (UTC ns, live or capture clock): the
  // reference age and the order-rate buckets use it.
  GateResult decide(const OrderIntent& in, const MarketView& market, SafetyView safety,
                    uint64_t account_kill_mask, uint64_t now_ns);

  // A venue response: updates the ledger (the router counts the outcomes it reports).
  ApplyResult apply(const VenueEvent& ev) { return ledger_.apply(ev); }

  const Ledger& ledger() const { return ledger_; }
  Ledger& ledger() { return ledger_; }
  const GateCounters& counters() const { return counters_; }
  const Policy& policy() const { return *policy_; }

 private:
  struct Bucket {
    uint64_t tat_ns = 0;  // GCRA theoretical arrival time
  };

  PolicyExchange& policies_;
  const Policy* policy_;
  GateConfig config_;
  uint64_t ns_per_tsc_q32_;  // ns per TSC tick, 32.32 fixed point
  uint64_t sequence_ = 0;
  Ledger ledger_;
  Bucket buckets_[kMaxSessions];
  GateCounters counters_;
};

// Reference price in Price(4) from one market sample, by the policy's source; 0 when the
// source has nothing (no two-sided book for mid, no trade yet for last).
uint32_t reference_price(const book::RefValue& v, ReferenceSource source);

}  // namespace sy::risk
