// Shared pieces of the risk tests: a policy built from a few numbers, a market data stand-in
// and a gate wired to both.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>

#include "src/risk/gate.hpp"

namespace sy::risk::test {

inline constexpr uint32_t kDollar = 10000;          // Price(4)
inline constexpr uint64_t kSecond = 1'000'000'000;  // ns
inline constexpr uint64_t kNow = 100 * kSecond;

// Account 0 ("ACC0", sessions c0 and c1) and account 1 ("ACC1", session c2). Every limit is
// generous unless a test names it in `acc0` (YAML "key: value" lines of account 0).
inline std::string policy_yaml(const std::map<std::string, std::string>& acc0 = {},
                               const std::string& reference = "max_age_ms: 1000") {
  std::map<std::string, std::string> v = {
      {"max_shares_per_order", "999999"},
      {"max_order_notional_usd", "1000000000"},
      {"price_collar_bps", "10000"},
      {"max_open_orders", "1000"},
      {"max_position_shares", "100000000"},
      {"max_gross_exposure_usd", "1000000000"},
      {"max_account_position_shares", "1000000000"},
      {"max_account_gross_exposure_usd", "1000000000000"},
      {"order_rate_per_s", "1000000"},
      {"order_burst", "100000"},
  };
  std::string instruments = "      - symbol: AAPL\n      - symbol: MSFT\n";
  for (const auto& [k, val] : acc0) {
    if (k == "instruments")
      instruments = val;
    else
      v[k] = val;
  }
  std::string y = "reference:\n  " + reference + "\naccounts:\n  - name: ACC0\n    id: 0\n" +
                  "    sessions: [c0, c1]\n";
  for (const auto& [k, val] : v) y += "    " + k + ": " + val + "\n";
  y += "    instruments:\n" + instruments;
  y += "  - name: ACC1\n    id: 1\n    sessions: [c2]\n    instruments:\n      - symbol: AAPL\n";
  return y;
}

// Per-locate samples; locate 1 = AAPL, 2 = MSFT. By default: healthy, bid 99 / ask 101
// (mid 100), last 100.50, received at kNow.
class FakeMarket final : public MarketView {
 public:
  FakeMarket() {
    for (uint16_t l : {uint16_t{1}, uint16_t{2}}) {
      MarketSample& s = samples[l];
      s.feed = FeedHealth::healthy;
      s.read_ok = true;
      s.value.bid_price = 99 * kDollar;
      s.value.ask_price = 101 * kDollar;
      s.value.bid_shares = s.value.ask_shares = 100;
      s.value.last_price = 100 * kDollar + 5000;
      s.value.flags = 0;
      s.value.rx_ns = kNow;
    }
  }
  void sample(uint16_t locate, MarketSample& out) const override {
    const auto it = samples.find(locate);
    out = it == samples.end() ? MarketSample{} : it->second;
  }
  std::map<uint16_t, MarketSample> samples;
};

inline uint64_t fixed_tsc() { return 5000; }

struct GateFixture {
  explicit GateFixture(const std::string& yaml = policy_yaml(), Ledger::Capacity cap = {4096, 256})
      : exchange(load_policy_from_string(yaml, "policy.yaml")),
        gate(exchange, GateConfig{cap, 1'000'000'000, &fixed_tsc}) {}

  static OrderIntent order(const std::string& token, uint32_t shares, uint32_t price,
                           Side side = Side::buy, const std::string& symbol = "AAPL",
                           uint16_t session = 0, uint8_t account = 0) {
    OrderIntent in;
    in.kind = IntentKind::new_order;
    in.token = make_token(token);
    in.symbol = symbol_word(symbol);
    in.locate = symbol == "AAPL" ? 1 : symbol == "MSFT" ? 2 : 3;
    in.shares = shares;
    in.price = price;
    in.side = side;
    in.session = session;
    in.account = account;
    in.rx_tsc = 1000;
    return in;
  }
  static OrderIntent cancel(const std::string& token, uint16_t session = 0, uint8_t account = 0) {
    OrderIntent in;
    in.kind = IntentKind::cancel;
    in.token = make_token(token);
    in.session = session;
    in.account = account;
    return in;
  }
  static OrderIntent replace(const std::string& existing, const std::string& token, uint32_t shares,
                             uint32_t price, uint16_t session = 0) {
    OrderIntent in;
    in.kind = IntentKind::replace;
    in.existing = make_token(existing);
    in.token = make_token(token);
    in.shares = shares;
    in.price = price;
    in.session = session;
    return in;
  }

  // OUCH Modify Order: `shares` liable over the whole order, executed included; `side` new.
  static OrderIntent modify(const std::string& token, uint32_t shares, Side side,
                            uint16_t session = 0) {
    OrderIntent in;
    in.kind = IntentKind::modify;
    in.token = make_token(token);
    in.shares = shares;
    in.side = side;
    in.session = session;
    return in;
  }

  GateResult send(const OrderIntent& in) {
    gate.begin_burst();
    return gate.decide(in, market, safety, kill_mask, now);
  }

  ApplyResult venue(VenueEvent::Kind kind, const std::string& token, uint32_t shares,
                    uint32_t price, uint16_t session = 0) {
    VenueEvent ev;
    ev.kind = kind;
    ev.token = make_token(token);
    ev.shares = shares;
    ev.price = price;
    ev.session = session;
    return gate.apply(ev);
  }

  ApplyResult modified(const std::string& token, uint32_t open_shares, Side side,
                       uint16_t session = 0) {
    VenueEvent ev;
    ev.kind = VenueEvent::Kind::modified;
    ev.token = make_token(token);
    ev.shares = open_shares;
    ev.side = side;
    ev.session = session;
    return gate.apply(ev);
  }

  PolicyExchange exchange;
  Gate gate;
  FakeMarket market;
  SafetyView safety{SafetyMode::normal, false};
  uint64_t kill_mask = 0;
  uint64_t now = kNow;
};

inline Decision decision(const GateResult& r) { return static_cast<Decision>(r.decision); }

}  // namespace sy::risk::test
