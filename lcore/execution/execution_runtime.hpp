// What the execution lcore shares with the rest of the appliance, built by the pipeline before
// launch: the router (sessions, gate, ledger), the policy exchange the control side swaps
// policies through, the gate_results ring toward the gate log, which class is which session,
// and the latency histograms of the execution budget (seed 000: intent -> gate decision ->
// sent -> result).
#pragma once

#include <rte_ring.h>

#include <memory>
#include <vector>

#include "lcore/execution/order_router.hpp"
#include "src/common/counter.hpp"
#include "src/common/histogram.hpp"
#include "src/net/class_table.hpp"
#include "src/risk/policy_exchange.hpp"
#include "src/risk/snapshot.hpp"

namespace sy::exec {

struct SessionClass {
  enum class Kind : uint8_t { none, client, venue } kind = Kind::none;
  uint16_t index = 0;  // client: index among the router's client sessions
};

// Where one session's datagrams leave: its port, and the local address and UDP port it uses.
struct SessionWire {
  uint16_t port_index = 0;
  uint32_t local_ipv4 = 0;
  uint16_t local_udp = 0;
};

// The stages of the execution budget, each a log-linear histogram in ns (single writer: the
// execution lcore; the control lcore and the exporters snapshot them).
struct ExecutionLatency {
  Histogram rx_to_decision;   // order received -> gate decision
  Histogram rx_to_tx;         // order received -> forwarded to the venue (tx burst)
  Histogram reject_rx_to_tx;  // order received -> Rejected sent to the client
  Histogram relay;            // venue response received -> relayed to the client
};

struct ExecutionRuntime {
  std::unique_ptr<risk::PolicyExchange> policies;
  std::unique_ptr<OrderRouter> router;
  // Read-only views of the ledger for the control API, published by the lcore in steps.
  std::unique_ptr<risk::LedgerSnapshots> snapshots;
  rte_ring* gate_results = nullptr;  // 128-byte GateResultRecord, execution -> gate log thread
  SessionClass session_of_class[net::kMaxClasses];
  std::vector<SessionWire> client_wire;  // by client index
  SessionWire venue_wire;
  bool has_venue = false;
  ExecutionLatency latency;
  Counter gate_results_unlogged;  // ring full: the record was counted, not written
  Counter no_mbuf;                // an outgoing datagram found no mbuf
  // Router counters published by the lcore every timer tick (the router's are plain words).
  Counter router_counters[kRouterCounterCount];
  std::atomic<bool> venue_up{false};
  std::atomic<bool> venue_ready{false};   // logged in and caught up with the session's replay
  std::atomic<uint32_t> orphans_open{0};  // earlier-run orders open at the venue, cancels sent
};

}  // namespace sy::exec
