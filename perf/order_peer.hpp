// The far side of the appliance's order path on one DPDK port: the market data the risk gate
// prices against, the venue (a VenueSim answering the appliance's venue session) and a strategy
// client (the scripted order flow of perf/traffic/order_flow.hpp, or the benchmark's flood).
// Used by switchyard-venue (its own process, e.g. a memif client facing the appliance) and by
// switchyard-bench-exec-ring (an lcore inside the appliance's process, over net_ring ports).
//
// 1. Market data: one MoldUDP64 packet on the lines of the first feed with a Stock Directory and
//    a bid and an ask one cent either side of each instrument's reference price (so the BBO mid
//    is the reference), then heartbeats every 250 ms to keep the feed healthy.
// 2. Venue: a VenueSim at the venue session's server_ipv4 and server_udp, with the venue
//    session's credentials.
// 3. Client: once the appliance is logged in at the venue, the order flow (credentials of the
//    first client session) sent at `pps` to the client session's udp_dst, from 10.1.0.30:50001;
//    what comes back is counted by OUCH type and optionally written to a pcap.
//    With `flood_ms` (the benchmark's load) the client sends instead pps x flood_ms / 1000
//    Enter Orders built straight into mbufs, paced at `pps` and handed to the port up to `burst`
//    per rte_eth_tx_burst (a refused tail is retried, never dropped, so the offered rate falls
//    behind rather than losing orders): 100 shares, IOC, alternating buy and sell over the
//    instruments, every other pair crossing the reference by one cent (executes in full) and
//    the rest one cent away from it (Canceled by the venue), so nothing rests and the ledger
//    stays flat however long it runs; `breach_percent` of them ask for 100,000 shares (a valid
//    OUCH size above the benchmark policy's max_shares_per_order). Tokens "FL" + 12 digits.
//    With `window` the flood also keeps at most that many orders unanswered (a client's limit
//    on outstanding orders): past the appliance's capacity the orders then wait at the client
//    rather than fill the link, where they would hold back the venue's answers sharing it.
// Not a hot path of the appliance: the peer is a test tool (it allocates while it sets up, and
// its vectors keep their capacity afterwards).
#pragma once

#include <rte_mempool.h>

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "conf/config.hpp"
#include "perf/traffic/order_flow.hpp"

namespace sy::perf {

struct PeerOptions {
  traffic::OrderFlowSpec flow;  // orders and seed of the scripted flow
  uint64_t pps = 20'000;        // offered rate of the client, orders (datagrams) per second
  std::string client_pcap;      // what the client receives; empty: not written
  uint64_t linger_ms = 2000;    // after the last order: wait this long for missing answers
  uint64_t flood_ms = 0;        // 0: the scripted order flow; else the flood's duration
  uint32_t burst = 32;          // flood: orders per rte_eth_tx_burst, 1..32
  uint32_t breach_percent = 0;  // flood: orders above max_shares_per_order
  uint64_t window = 0;          // flood: at most this many orders unanswered; 0: no limit
  // After the flow is answered, keep serving the venue session this long, re-opening the link
  // when the appliance goes away (a restart test kills and restarts it meanwhile); ends early,
  // a second later, once the link came back and no order rests at the venue any more.
  uint64_t stay_ms = 0;
  // Messages the venue keeps for retransmission; fewer than its session sends makes a restarted
  // appliance's replay incomplete.
  uint32_t venue_retransmit = 65'536;
  // The venue leaves a request for messages it no longer holds unanswered (VenueConfig::
  // silent_about_lost) instead of answering from the oldest it holds.
  bool venue_silent_lost = false;
};

// Throws traffic::cli::UsageError for out-of-range options.
void check(const PeerOptions& o);

class OrderPeer {
 public:
  // Throws traffic::cli::UsageError when the config lacks a feed, a venue and a client session,
  // or port 0 has no ipv4 and mac. Call before the EAL starts or after: nothing here needs it.
  OrderPeer(const conf::Config& cfg, const PeerOptions& o);
  ~OrderPeer();
  OrderPeer(const OrderPeer&) = delete;
  OrderPeer& operator=(const OrderPeer&) = delete;

  // Binds the peer to a started port (queue 0 both ways); frames it sends come from `pool`.
  void start(uint16_t port, rte_mempool* pool);
  // One pass: market data and venue timers, the client's due orders, one rx burst. Returns
  // false once finished: every order answered and the client quiet, or the linger or the
  // overall deadline passed. Sleeps 20 us when there was nothing to do and nothing to send.
  bool step();
  // Every order sent and answered (Accepted or Rejected), no frame unsent.
  bool complete() const;
  // The flow's truth, what was sent, what the client received, what the venue did.
  nlohmann::json report() const;

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace sy::perf
