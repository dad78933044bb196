// A deterministic strategy client: the UFO/OUCH 4.2 datagrams it sends (login, Enter Orders with
// unique tokens, some cancels and replaces, some orders that break a risk limit on purpose), and
// the ground truth of what they are, computed from the generated orders themselves.
//
// Script: one Login Request, then `orders` Enter Orders, one UFO datagram each, `interval_ns`
// apart. A clean order stays inside every limit (shares <= max_shares, price x shares <=
// max_notional, price within collar_bps of its instrument's reference price); `cross_percent` of
// them cross the reference (a buy at or above it, a sell at or below) and execute in full at a
// VenueSim with the same reference prices, the others rest. A resting order may later (1..8
// orders on) be cancelled (Cancel Order, shares 0) or replaced (a new token, a new resting price)
// by `cancel_percent` / `replace_percent`. `breach_percent` of the orders are breaches, rotating
// over shares, notional and collar; the truth counts every limit each order breaks, as computed
// on its final fields (so a shares breach that also exceeds the notional counts in both).
// Tokens are "OF" + 12 digits, unique over the whole flow, replacements included.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace sy::traffic {

struct OrderFlowInstrument {
  std::string symbol;
  uint32_t reference_price = 0;  // Price(4)
};

struct OrderFlowSpec {
  uint64_t seed = 1;
  uint32_t orders = 1'000;
  std::vector<OrderFlowInstrument> instruments = {
      {"AAPL", 1'895'000}, {"MSFT", 3'301'000}, {"SPY", 4'501'200}};
  uint32_t cross_percent = 50;
  uint32_t cancel_percent = 20;
  uint32_t replace_percent = 10;
  uint32_t breach_percent = 5;
  uint32_t max_shares = 10'000;
  uint64_t max_notional = 1'000'000ULL * 10'000;  // Price(4) x shares: $1,000,000
  uint32_t collar_bps = 500;
  std::string username = "USER01";
  std::string password = "SECRET1234";
  uint64_t start_ns = 1'704'101'400'000'000'000ULL;  // 2024-01-01T09:30:00Z
  uint64_t interval_ns = 10'000;
};

enum class FlowKind : uint8_t { login, enter, cancel, replace };

struct FlowDatagram {
  uint64_t timestamp_ns = 0;
  FlowKind kind = FlowKind::enter;
  std::vector<uint8_t> payload;  // one UFO upstream datagram
};

struct OrderFlowTruth {
  uint64_t seed = 0;
  uint64_t datagrams = 0;
  uint64_t logins = 0, enters = 0, cancels = 0, replaces = 0;
  uint64_t clean = 0;      // enters breaking no limit
  uint64_t breaching = 0;  // enters breaking at least one limit
  uint64_t breach_shares = 0, breach_notional = 0, breach_collar = 0;
  // What a VenueSim with the same reference prices does if exactly the clean orders (and the
  // cancels/replaces, which only touch clean resting orders) reach it:
  uint64_t expect_executed = 0, expect_executed_shares = 0;
  uint64_t expect_canceled = 0, expect_canceled_shares = 0;
  uint64_t expect_replaced = 0;
  uint64_t expect_resting = 0, expect_resting_shares = 0;

  nlohmann::json to_json() const;
};

struct OrderFlow {
  std::vector<FlowDatagram> datagrams;
  OrderFlowTruth truth;
};

// Throws std::invalid_argument for an empty instrument list, a zero reference price, percents
// above 100 or cross + breach above 100, a collar of 0, or limits that leave no room for a clean
// order (max_shares 0 or max_notional below one share at the highest reference price).
OrderFlow generate_order_flow(const OrderFlowSpec& spec);

}  // namespace sy::traffic
