// One test per risk check at, just below and just above its limit; kill switches and safety
// modes; cancels never blocked; market data not usable; tokens; replaces; modifies.

#include <gtest/gtest.h>

#include <vector>

#include "tests/risk/risk_fixture.hpp"

namespace sy::risk::test {
namespace {

constexpr uint32_t k100 = 100 * kDollar;  // the default reference (mid of 99 / 101)

// Expects a pass, or a failure of `check` with the given value seen and limit.
void expect_pass(const GateResult& r) {
  EXPECT_EQ(decision(r), Decision::pass)
      << "failed " << (r.first_failed < kCheckCount ? kCheckNames[r.first_failed] : "-") << " seen "
      << r.seen << " limit " << r.limit;
  EXPECT_EQ(r.checks_failed, 0u);
  EXPECT_EQ(r.first_failed, kNoCheck);
  EXPECT_EQ(r.reject_reason, 0);
}

void expect_fail(const GateResult& r, Check check, uint64_t seen, uint64_t limit,
                 Decision d = Decision::fail) {
  EXPECT_EQ(decision(r), d);
  EXPECT_EQ(r.first_failed, static_cast<uint8_t>(check))
      << "first failed: " << (r.first_failed < kCheckCount ? kCheckNames[r.first_failed] : "-");
  EXPECT_EQ(r.checks_failed, bit(check));
  EXPECT_TRUE(r.checks_ran & bit(check));
  EXPECT_EQ(r.seen, seen);
  EXPECT_EQ(r.limit, limit);
  EXPECT_EQ(r.reject_reason, d == Decision::ignore ? 0 : ouch_reject_reason(check));
  // Nothing after the failing check ran.
  EXPECT_EQ(r.checks_ran & ~((bit(check) << 1) - 1), 0u);
}

TEST(GateChecks, PassRunsEveryCheckButOrderKnownAndRecordsInputs) {
  GateFixture f;
  const GateResult r = f.send(GateFixture::order("T1", 100, k100));
  expect_pass(r);
  const uint32_t all = (uint32_t{1} << kCheckCount) - 1;
  EXPECT_EQ(r.checks_ran, all & ~bit(Check::order_known));
  EXPECT_EQ(r.reference_price, k100);
  EXPECT_EQ(r.notional, 100ull * k100);
  EXPECT_EQ(r.latency_ns, 4000u);  // (5000 - 1000) ticks at 1 GHz
  EXPECT_EQ(r.sequence, 1u);
  EXPECT_EQ(r.policy_version, 1u);
  EXPECT_EQ(f.gate.ledger().account(0).open_orders, 1u);
}

TEST(GateChecks, MaxShares) {
  GateFixture f(policy_yaml({{"max_shares_per_order", "1000"}}));
  expect_pass(f.send(GateFixture::order("below", 999, k100)));
  expect_pass(f.send(GateFixture::order("at", 1000, k100)));
  expect_fail(f.send(GateFixture::order("above", 1001, k100)), Check::max_shares, 1001, 1000);
}

TEST(GateChecks, MaxNotional) {
  GateFixture f(policy_yaml({{"max_order_notional_usd", "50000"}}));
  const uint64_t limit = 50000ull * kDollar;
  expect_pass(f.send(GateFixture::order("below", 499, k100)));
  expect_pass(f.send(GateFixture::order("at", 500, k100)));
  expect_fail(f.send(GateFixture::order("above", 501, k100)), Check::max_notional, 501ull * k100,
              limit);
}

TEST(GateChecks, PriceCollarBothSides) {
  GateFixture f(policy_yaml({{"price_collar_bps", "500"}}));  // 5% of 100.0000 = 5.0000
  expect_pass(f.send(GateFixture::order("up_below", 1, 105 * kDollar - 1)));
  expect_pass(f.send(GateFixture::order("up_at", 1, 105 * kDollar)));
  expect_fail(f.send(GateFixture::order("up_above", 1, 105 * kDollar + 1)), Check::price_collar,
              501, 500);  // 500.01 bps, rounded up
  expect_pass(f.send(GateFixture::order("dn_below", 1, 95 * kDollar + 1)));
  expect_pass(f.send(GateFixture::order("dn_at", 1, 95 * kDollar)));
  expect_fail(f.send(GateFixture::order("dn_above", 1, 95 * kDollar - 1)), Check::price_collar, 501,
              500);
}

TEST(GateChecks, ReferenceSourceChoosesMidOrLast) {
  GateFixture mid(policy_yaml({}, "source: mid"));
  GateFixture last(policy_yaml({}, "source: last"));
  GateFixture both(policy_yaml({}, "source: mid_or_last"));
  EXPECT_EQ(mid.send(GateFixture::order("a", 1, k100)).reference_price, k100);
  EXPECT_EQ(last.send(GateFixture::order("a", 1, k100)).reference_price, k100 + 5000);
  both.market.samples[1].value.flags = book::kRefNoAsk;  // one-sided: falls back to last
  EXPECT_EQ(both.send(GateFixture::order("a", 1, k100)).reference_price, k100 + 5000);
  mid.market.samples[1].value.flags = book::kRefNoAsk;  // mid only: no reference at all
  expect_fail(mid.send(GateFixture::order("b", 1, k100)), Check::reference_fresh, UINT64_MAX,
              kSecond, Decision::unknown);
}

TEST(GateChecks, MaxOpenOrders) {
  GateFixture f(policy_yaml({{"max_open_orders", "5"}}));
  for (int i = 1; i <= 4; ++i)
    expect_pass(f.send(GateFixture::order("o" + std::to_string(i), 1, k100)));
  expect_pass(f.send(GateFixture::order("at", 1, k100)));  // the fifth
  expect_fail(f.send(GateFixture::order("above", 1, k100)), Check::open_orders, 6, 5);
  // Closing one makes room again; a replace never counts as one more.
  EXPECT_EQ(f.venue(VenueEvent::Kind::rejected, "o1", 0, 0), ApplyResult::applied);
  expect_pass(f.send(GateFixture::order("again", 1, k100)));
  expect_pass(f.send(GateFixture::replace("o2", "o2b", 1, k100)));
}

TEST(GateChecks, PositionPerInstrumentBuySide) {
  GateFixture f(
      policy_yaml({{"instruments", "      - symbol: AAPL\n        max_position_shares: 500\n"}}));
  expect_pass(f.send(GateFixture::order("below", 499, k100)));
  EXPECT_EQ(f.venue(VenueEvent::Kind::rejected, "below", 0, 0), ApplyResult::applied);
  expect_pass(f.send(GateFixture::order("at", 500, k100)));
  EXPECT_EQ(f.venue(VenueEvent::Kind::rejected, "at", 0, 0), ApplyResult::applied);
  expect_fail(f.send(GateFixture::order("above", 501, k100)), Check::position_instrument, 501, 500);
}

TEST(GateChecks, PositionPerInstrumentCountsExecutionsAndBothSides) {
  GateFixture f(
      policy_yaml({{"instruments", "      - symbol: AAPL\n        max_position_shares: 500\n"}}));
  expect_pass(f.send(GateFixture::order("B1", 300, k100)));
  f.venue(VenueEvent::Kind::accepted, "B1", 300, k100);
  EXPECT_EQ(f.venue(VenueEvent::Kind::executed, "B1", 300, k100), ApplyResult::applied);
  // Long 300: buying 200 more is at the limit, 201 above.
  expect_fail(f.send(GateFixture::order("B2", 201, k100)), Check::position_instrument, 501, 500);
  expect_pass(f.send(GateFixture::order("B3", 200, k100)));
  f.venue(VenueEvent::Kind::rejected, "B3", 0, 0);
  // Selling 800 takes the worst case to short 500 (at); 801 is above.
  expect_pass(f.send(GateFixture::order("S1", 799, k100, Side::sell)));
  f.venue(VenueEvent::Kind::rejected, "S1", 0, 0);
  expect_pass(f.send(GateFixture::order("S2", 800, k100, Side::short_sell)));
  f.venue(VenueEvent::Kind::rejected, "S2", 0, 0);
  expect_fail(f.send(GateFixture::order("S3", 801, k100, Side::sell)), Check::position_instrument,
              501, 500);
  EXPECT_EQ(f.gate.ledger().audit(), "");
}

TEST(GateChecks, PositionPerAccount) {
  GateFixture f(policy_yaml({{"max_account_position_shares", "3000"}}));
  expect_pass(f.send(GateFixture::order("A", 2000, k100)));
  expect_pass(f.send(GateFixture::order("M1", 999, k100, Side::buy, "MSFT")));
  f.venue(VenueEvent::Kind::rejected, "M1", 0, 0);
  expect_pass(f.send(GateFixture::order("M2", 1000, k100, Side::buy, "MSFT")));
  f.venue(VenueEvent::Kind::rejected, "M2", 0, 0);
  expect_fail(f.send(GateFixture::order("M3", 1001, k100, Side::buy, "MSFT")),
              Check::position_account, 3001, 3000);
}

TEST(GateChecks, ExposurePerInstrument) {
  GateFixture f(policy_yaml({{"max_gross_exposure_usd", "100000"}}));
  const uint64_t limit = 100000ull * kDollar;
  expect_pass(f.send(GateFixture::order("below", 999, k100)));
  f.venue(VenueEvent::Kind::rejected, "below", 0, 0);
  expect_pass(f.send(GateFixture::order("at", 1000, k100)));
  f.venue(VenueEvent::Kind::rejected, "at", 0, 0);
  expect_fail(f.send(GateFixture::order("above", 1001, k100)), Check::exposure_instrument,
              1001ull * k100, limit);
  // An executed position counts at its execution price: 400 @ 100 leaves room for 600 @ 100.
  expect_pass(f.send(GateFixture::order("X", 400, k100)));
  f.venue(VenueEvent::Kind::accepted, "X", 400, k100);
  f.venue(VenueEvent::Kind::executed, "X", 400, k100);
  expect_fail(f.send(GateFixture::order("Y", 601, k100, Side::sell)), Check::exposure_instrument,
              1001ull * k100, limit);
  expect_pass(f.send(GateFixture::order("Z", 600, k100, Side::sell)));
}

TEST(GateChecks, ExposurePerAccount) {
  GateFixture f(policy_yaml({{"max_account_gross_exposure_usd", "150000"}}));
  const uint64_t limit = 150000ull * kDollar;
  expect_pass(f.send(GateFixture::order("A", 1000, k100)));
  expect_pass(f.send(GateFixture::order("M1", 499, k100, Side::buy, "MSFT")));
  f.venue(VenueEvent::Kind::rejected, "M1", 0, 0);
  expect_pass(f.send(GateFixture::order("M2", 500, k100, Side::buy, "MSFT")));
  f.venue(VenueEvent::Kind::rejected, "M2", 0, 0);
  expect_fail(f.send(GateFixture::order("M3", 501, k100, Side::buy, "MSFT")),
              Check::exposure_account, 1501ull * k100, limit);
}

TEST(GateChecks, OrderRateTokenBucket) {
  GateFixture f(policy_yaml({{"order_rate_per_s", "10"}, {"order_burst", "3"}}));
  expect_pass(f.send(GateFixture::order("a", 1, k100)));
  expect_pass(f.send(GateFixture::order("b", 1, k100)));  // just below the burst
  expect_pass(f.send(GateFixture::order("c", 1, k100)));  // at the burst
  expect_fail(f.send(GateFixture::order("d", 1, k100)), Check::order_rate, 0, 3);
  // One token per 100 ms: 1 ns early is still empty, on time is one more.
  f.now = kNow + 100'000'000 - 1;
  expect_fail(f.send(GateFixture::order("e", 1, k100)), Check::order_rate, 0, 3);
  f.now = kNow + 100'000'000;
  expect_pass(f.send(GateFixture::order("f", 1, k100)));
  expect_fail(f.send(GateFixture::order("g", 1, k100)), Check::order_rate, 0, 3);
  // Buckets are per session: c1 (same account) still has its burst.
  expect_pass(f.send(GateFixture::order("h", 1, k100, Side::buy, "AAPL", 1)));
  // A long pause refills to the burst, not beyond.
  f.now = kNow + 100 * kSecond;
  f.market.samples[1].value.rx_ns = f.now;
  for (const char* t : {"i", "j", "k"}) expect_pass(f.send(GateFixture::order(t, 1, k100)));
  expect_fail(f.send(GateFixture::order("l", 1, k100)), Check::order_rate, 0, 3);
}

TEST(GateChecks, RejectedOrdersDoNotSpendRateTokens) {
  GateFixture f(policy_yaml(
      {{"order_rate_per_s", "10"}, {"order_burst", "1"}, {"max_shares_per_order", "10"}}));
  expect_fail(f.send(GateFixture::order("big", 11, k100)), Check::max_shares, 11, 10);
  expect_pass(f.send(GateFixture::order("ok", 10, k100)));
}

TEST(GateChecks, InstrumentAllowlist) {
  GateFixture f;
  expect_pass(f.send(GateFixture::order("a", 1, k100, Side::buy, "MSFT")));
  expect_fail(f.send(GateFixture::order("b", 1, k100, Side::buy, "IBM")), Check::instrument_allowed,
              0, 1);
  // ACC1 has AAPL only.
  expect_fail(f.send(GateFixture::order("c", 1, k100, Side::buy, "MSFT", 2, 1)),
              Check::instrument_allowed, 0, 1);
  expect_pass(f.send(GateFixture::order("d", 1, k100, Side::buy, "AAPL", 2, 1)));
}

TEST(GateChecks, UnknownAccountAndSessionAndFields) {
  GateFixture f;
  expect_fail(f.send(GateFixture::order("a", 1, k100, Side::buy, "AAPL", 0, 5)),
              Check::account_known, 5, 0);
  expect_fail(f.send(GateFixture::order("b", 1, k100, Side::buy, "AAPL", kMaxSessions)),
              Check::session_valid, kMaxSessions, kMaxSessions - 1);
  expect_fail(f.send(GateFixture::order("c", 0, k100)), Check::order_fields, 0, 999999);
  expect_pass(f.send(GateFixture::order("d", 999999, k100)));
  expect_fail(f.send(GateFixture::order("e", 1000000, k100)), Check::order_fields, 1000000, 999999);
  expect_fail(f.send(GateFixture::order("f", 1, 0)), Check::order_fields, 0, 1999999900);
  expect_fail(f.send(GateFixture::order("g", 1, 0x7FFFFFFF)), Check::order_fields, 0x7FFFFFFF,
              1999999900);
}

// --- market data not usable ------------------------------------------------------------------

TEST(GateMarket, FeedUnknownOrEndedIsUnknown) {
  GateFixture f;
  f.market.samples[1].feed = FeedHealth::unknown;
  expect_fail(f.send(GateFixture::order("a", 1, k100)), Check::feed_state, 0, 1, Decision::unknown);
  f.market.samples[1].feed = FeedHealth::ended;
  expect_fail(f.send(GateFixture::order("b", 1, k100)), Check::feed_state, 2, 1, Decision::unknown);
  // No market data at all for the instrument (locate 3 is not in the view).
  GateFixture g(policy_yaml({{"instruments", "      - symbol: IBM\n"}}));
  expect_fail(g.send(GateFixture::order("c", 1, k100, Side::buy, "IBM")), Check::feed_state, 0, 1,
              Decision::unknown);
}

TEST(GateMarket, StaleReference) {
  GateFixture f;  // max_age_ms: 1000
  f.now = kNow + kSecond - 1;
  expect_pass(f.send(GateFixture::order("below", 1, k100)));
  f.now = kNow + kSecond;
  expect_pass(f.send(GateFixture::order("at", 1, k100)));
  f.now = kNow + kSecond + 1;
  expect_fail(f.send(GateFixture::order("above", 1, k100)), Check::reference_fresh, kSecond + 1,
              kSecond, Decision::unknown);
}

TEST(GateMarket, FlaggedOrUnreadableReference) {
  GateFixture f;
  f.market.samples[1].value.flags = book::kRefStale;
  expect_fail(f.send(GateFixture::order("a", 1, k100)), Check::reference_fresh, UINT64_MAX, kSecond,
              Decision::unknown);
  f.market.samples[1].value.flags = book::kRefBookUnknown;
  expect_fail(f.send(GateFixture::order("b", 1, k100)), Check::reference_fresh, UINT64_MAX, kSecond,
              Decision::unknown);
  f.market.samples[1].value.flags = 0;
  f.market.samples[1].read_ok = false;  // seqlock kept busy
  expect_fail(f.send(GateFixture::order("c", 1, k100)), Check::reference_fresh, UINT64_MAX, kSecond,
              Decision::unknown);
  f.market.samples[1].read_ok = true;
  f.market.samples[1].value.flags = book::kRefNoBid | book::kRefNoAsk | book::kRefNoTrade;
  expect_fail(f.send(GateFixture::order("d", 1, k100)), Check::reference_fresh, UINT64_MAX, kSecond,
              Decision::unknown);
}

TEST(GateMarket, BookMarketViewReadsTheSeqlockTable) {
  book::ReferencePrices prices(8);
  std::atomic<uint8_t> state{0};
  BookMarketView view(prices, state);
  book::RefValue v;
  v.bid_price = 99 * kDollar;
  v.ask_price = 101 * kDollar;
  v.flags = 0;
  v.rx_ns = kNow;
  prices.publish(1, v);
  GateFixture f;
  f.gate.begin_burst();
  const SafetyView normal{SafetyMode::normal, false};
  expect_fail(f.gate.decide(GateFixture::order("a", 1, k100), view, normal, 0, kNow),
              Check::feed_state, 0, 1, Decision::unknown);
  state.store(1);  // integrity::FeedState::healthy
  const GateResult r = f.gate.decide(GateFixture::order("b", 1, k100), view, normal, 0, kNow);
  expect_pass(r);
  EXPECT_EQ(r.reference_price, k100);
}

// --- kill switches and safety modes -----------------------------------------------------------

TEST(GateSafety, GlobalKillBlocksOrdersNotCancels) {
  GateFixture f;
  expect_pass(f.send(GateFixture::order("live", 10, k100)));
  f.safety.kill = true;
  const GateResult r = f.send(GateFixture::order("new", 1, k100));
  expect_fail(r, Check::kill_global, 1, 0);
  EXPECT_EQ(r.reject_reason, 'a');
  EXPECT_EQ(r.flags & kFlagGlobalKill, kFlagGlobalKill);
  expect_fail(f.send(GateFixture::replace("live", "live2", 5, k100)), Check::kill_global, 1, 0);
  expect_pass(f.send(GateFixture::cancel("live")));
  f.safety.kill = false;
  expect_pass(f.send(GateFixture::order("after", 1, k100)));
}

TEST(GateSafety, AccountKillBlocksThatAccountOnly) {
  GateFixture f;
  expect_pass(f.send(GateFixture::order("live", 10, k100)));
  f.kill_mask = uint64_t{1} << 0;
  expect_fail(f.send(GateFixture::order("a0", 1, k100)), Check::kill_account, 1, 0);
  expect_pass(f.send(GateFixture::order("a1", 1, k100, Side::buy, "AAPL", 2, 1)));
  expect_pass(f.send(GateFixture::cancel("live")));
  f.kill_mask = uint64_t{1} << 1;
  expect_pass(f.send(GateFixture::order("a0b", 1, k100)));
  expect_fail(f.send(GateFixture::order("a1b", 1, k100, Side::buy, "AAPL", 2, 1)),
              Check::kill_account, 1, 0);
}

TEST(GateSafety, EachMode) {
  GateFixture f;
  expect_pass(f.send(GateFixture::order("live", 10, k100)));
  f.safety.mode = SafetyMode::degraded;
  expect_pass(f.send(GateFixture::order("deg", 1, k100)));
  f.safety.mode = SafetyMode::safe;
  expect_fail(f.send(GateFixture::order("safe", 1, k100)), Check::safety_mode, 2, 1);
  expect_fail(f.send(GateFixture::replace("live", "safe2", 5, k100)), Check::safety_mode, 2, 1);
  expect_pass(f.send(GateFixture::cancel("live")));
  f.safety.mode = SafetyMode::emergency_stop;
  expect_fail(f.send(GateFixture::order("es", 1, k100)), Check::safety_mode, 3, 1);
  expect_fail(f.send(GateFixture::cancel("deg")), Check::safety_mode, 3, 2);
  f.safety.mode = SafetyMode::normal;
  expect_pass(f.send(GateFixture::order("back", 1, k100)));
}

TEST(GateSafety, EmergencyStopEnumeratesEveryOrderToCancel) {
  GateFixture f;
  expect_pass(f.send(GateFixture::order("p1", 10, k100)));  // pending_new
  expect_pass(f.send(GateFixture::order("l1", 10, k100)));
  f.venue(VenueEvent::Kind::accepted, "l1", 10, k100);
  expect_pass(f.send(GateFixture::order("x1", 10, k100)));  // closed below
  f.venue(VenueEvent::Kind::accepted, "x1", 10, k100);
  f.venue(VenueEvent::Kind::executed, "x1", 10, k100);
  expect_pass(f.send(GateFixture::replace("l1", "l1r", 12, k100)));  // pending replacement
  expect_pass(f.send(GateFixture::order("b1", 1, k100, Side::buy, "AAPL", 2, 1)));
  std::vector<std::string> tokens;
  const size_t n = f.gate.ledger().for_each_cancelable([&](const OrderEntry& o) {
    const OrderToken t = o.token();
    tokens.emplace_back(t.data(), 2);
  });
  EXPECT_EQ(n, 3u);
  EXPECT_EQ(tokens, (std::vector<std::string>{"p1", "l1", "b1"}));
}

TEST(GateSafety, CancelsAreNeverBlockedByALimit) {
  GateFixture f(policy_yaml({{"order_rate_per_s", "1"},
                             {"order_burst", "1"},
                             {"max_open_orders", "1"},
                             {"max_position_shares", "10"},
                             {"max_gross_exposure_usd", "1000"}}));
  expect_pass(f.send(GateFixture::order("only", 10, k100)));
  // Every limit is now exhausted, market data is unusable, the account is killed, SAFE.
  f.market.samples[1].feed = FeedHealth::unknown;
  f.market.samples[1].value.flags = book::kRefStale;
  f.now += 3600 * kSecond;
  f.kill_mask = ~uint64_t{0};
  f.safety = {SafetyMode::safe, true};
  const GateResult r = f.send(GateFixture::cancel("only"));
  expect_pass(r);
  EXPECT_EQ(r.checks_ran,
            bit(Check::session_valid) | bit(Check::order_known) | bit(Check::safety_mode));
}

// --- tokens and replaces ----------------------------------------------------------------------

TEST(GateTokens, DuplicatesAreIgnoredNeverAnswered) {
  GateFixture f(policy_yaml({{"max_shares_per_order", "10"}}));
  expect_pass(f.send(GateFixture::order("T1", 5, k100)));
  expect_fail(f.send(GateFixture::order("T1", 5, k100)), Check::token_unique, 1, 0,
              Decision::ignore);
  // A rejected token is consumed too (OUCH), even when rejected during SAFE.
  expect_fail(f.send(GateFixture::order("T2", 11, k100)), Check::max_shares, 11, 10);
  expect_fail(f.send(GateFixture::order("T2", 5, k100)), Check::token_unique, 1, 0,
              Decision::ignore);
  // The duplicate check comes before SAFE: a live order's token is never answered Rejected.
  f.safety.mode = SafetyMode::safe;
  expect_fail(f.send(GateFixture::order("T1", 5, k100)), Check::token_unique, 1, 0,
              Decision::ignore);
  f.safety.mode = SafetyMode::normal;
  // Tokens are per session: the same token on c1 is a different order.
  expect_pass(f.send(GateFixture::order("T1", 5, k100, Side::buy, "AAPL", 1)));
  EXPECT_EQ(f.gate.counters().decisions[static_cast<size_t>(Decision::ignore)].get(), 3u);
}

TEST(GateTokens, TokenTableFullIsAReject) {
  GateFixture f(policy_yaml(), Ledger::Capacity{3, 16});
  for (const char* t : {"a", "b", "c"}) expect_pass(f.send(GateFixture::order(t, 1, k100)));
  expect_fail(f.send(GateFixture::order("d", 1, k100)), Check::token_unique, 3, 3);
  expect_pass(f.send(GateFixture::cancel("a")));  // cancels still work
}

TEST(GateTokens, CancelOrReplaceOfAnUnknownOrderIsIgnored) {
  GateFixture f;
  expect_fail(f.send(GateFixture::cancel("nope")), Check::order_known, 0, 0, Decision::ignore);
  expect_fail(f.send(GateFixture::replace("nope", "R1", 5, k100)), Check::order_known, 0, 0,
              Decision::ignore);
  // The ignored replace did not consume its token.
  expect_pass(f.send(GateFixture::order("R1", 5, k100)));
  f.venue(VenueEvent::Kind::rejected, "R1", 0, 0);
  expect_fail(f.send(GateFixture::cancel("R1")), Check::order_known, 4, 0, Decision::ignore);
}

TEST(GateReplace, ChecksTheNewSizeAndPriceAndCountsTheLargerOfTheTwo) {
  GateFixture f(
      policy_yaml({{"instruments", "      - symbol: AAPL\n        max_position_shares: 100\n"}}));
  expect_pass(f.send(GateFixture::order("O1", 60, k100)));
  f.venue(VenueEvent::Kind::accepted, "O1", 60, k100);
  f.venue(VenueEvent::Kind::executed, "O1", 20, k100);  // 20 done, 40 open: worst 60
  // The chain total 100 leaves 80 open: worst 20 + 80 = 100, at the limit; 101 is above.
  expect_fail(f.send(GateFixture::replace("O1", "O2", 101, k100)), Check::position_instrument, 101,
              100);
  expect_fail(f.send(GateFixture::replace("O1", "O3", 20, k100)), Check::order_fields, 20, 21);
  const GateResult r = f.send(GateFixture::replace("O1", "O4", 100, k100));
  expect_pass(r);
  EXPECT_EQ(r.symbol, symbol_word("AAPL"));  // taken from the order being replaced
  const Position& p =
      f.gate.ledger().position(f.gate.ledger().find_position(0, symbol_word("AAPL")));
  EXPECT_EQ(p.open_buy_shares, 80u);  // max(40, 80) while the venue has not answered
  // Only one replace at a time per order.
  expect_fail(f.send(GateFixture::replace("O1", "O5", 90, k100)), Check::order_known, 2, 0,
              Decision::ignore);
  VenueEvent ev;
  ev.kind = VenueEvent::Kind::replaced;
  ev.token = make_token("O4");
  ev.previous = make_token("O1");
  ev.shares = 80;
  ev.price = k100;
  EXPECT_EQ(f.gate.apply(ev), ApplyResult::applied);
  EXPECT_EQ(p.open_buy_shares, 80u);
  EXPECT_EQ(f.gate.ledger().account(0).open_orders, 1u);
  expect_fail(f.send(GateFixture::cancel("O1")), Check::order_known, 4, 0, Decision::ignore);
  expect_pass(f.send(GateFixture::cancel("O4")));
  EXPECT_EQ(f.gate.ledger().audit(), "");
}

// --- modifies ----------------------------------------------------------------------------------

TEST(GateModify, SmallerSizeOrNewSellMarkGoesLikeACancel) {
  GateFixture f(policy_yaml(
      {{"max_shares_per_order", "50"}, {"order_rate_per_s", "1"}, {"order_burst", "1"}}));
  expect_pass(f.send(GateFixture::order("S1", 40, k100, Side::sell)));
  f.venue(VenueEvent::Kind::accepted, "S1", 40, k100);
  // Every limit exhausted (rate bucket spent), market data unusable, killed, SAFE: a Modify that
  // takes risk away still passes, as a cancel would.
  f.market.samples[1].feed = FeedHealth::unknown;
  f.kill_mask = ~uint64_t{0};
  f.safety = {SafetyMode::safe, true};
  const GateResult r = f.send(GateFixture::modify("S1", 30, Side::short_sell));
  expect_pass(r);
  EXPECT_EQ(r.kind, static_cast<uint8_t>(IntentKind::modify));
  EXPECT_EQ(r.side, static_cast<uint8_t>(Side::short_sell));
  EXPECT_EQ(r.symbol, symbol_word("AAPL"));  // from the order
  EXPECT_EQ(r.price, k100);
  EXPECT_EQ(r.checks_ran, bit(Check::session_valid) | bit(Check::order_known) |
                              bit(Check::order_fields) | bit(Check::safety_mode));
  expect_pass(f.send(GateFixture::modify("S1", 40, Side::short_exempt)));  // same size
  // The ledger changes when the venue says so, not before.
  const Ledger& l = f.gate.ledger();
  const uint32_t slot = l.find(0, make_token("S1"));
  EXPECT_EQ(l.order(slot).remaining, 40u);
  EXPECT_EQ(f.modified("S1", 30, Side::short_sell), ApplyResult::applied);
  EXPECT_EQ(l.order(slot).remaining, 30u);
  EXPECT_EQ(l.order(slot).side, Side::short_sell);
  EXPECT_EQ(l.position(l.find_position(0, symbol_word("AAPL"))).open_sell_shares, 30u);
  // EMERGENCY_STOP stops it, as it stops a cancel.
  f.safety.mode = SafetyMode::emergency_stop;
  expect_fail(f.send(GateFixture::modify("S1", 10, Side::short_sell)), Check::safety_mode, 3, 2);
  EXPECT_EQ(l.audit(), "");
}

TEST(GateModify, LargerSizeRunsTheLimitsAtTheOrdersPrice) {
  GateFixture f(
      policy_yaml({{"max_shares_per_order", "500"},
                   {"instruments", "      - symbol: AAPL\n        max_position_shares: 300\n"}}));
  expect_pass(f.send(GateFixture::order("S1", 100, k100, Side::sell)));
  f.venue(VenueEvent::Kind::accepted, "S1", 100, k100);
  f.venue(VenueEvent::Kind::executed, "S1", 20, k100);  // 20 sold, 80 open: worst 100
  // Shares are liable over the whole order: 320 leaves 300 open, worst 20 + 300 = 320 > 300.
  expect_fail(f.send(GateFixture::modify("S1", 321, Side::sell)), Check::position_instrument, 321,
              300);
  expect_fail(f.send(GateFixture::modify("S1", 501, Side::sell)), Check::max_shares, 501, 500);
  const GateResult at = f.send(GateFixture::modify("S1", 300, Side::short_sell));
  expect_pass(at);
  EXPECT_EQ(at.notional, 300ull * k100);
  const uint32_t all = (uint32_t{1} << kCheckCount) - 1;
  EXPECT_EQ(at.checks_ran, all & ~bit(Check::token_unique));
  // Reserved at once (280 open), before the venue answers: the next order sees it.
  const Ledger& l = f.gate.ledger();
  const Position& p = l.position(l.find_position(0, symbol_word("AAPL")));
  EXPECT_EQ(p.open_sell_shares, 280u);
  expect_fail(f.send(GateFixture::order("S2", 1, k100, Side::sell)), Check::position_instrument,
              301, 300);
  EXPECT_EQ(l.audit(), "");
  // The venue modifies: the executions that follow book in full (before, they overfilled).
  EXPECT_EQ(f.modified("S1", 280, Side::short_sell), ApplyResult::applied);
  EXPECT_EQ(f.venue(VenueEvent::Kind::executed, "S1", 280, k100), ApplyResult::applied);
  EXPECT_EQ(p.net_shares, -300);
  EXPECT_EQ(l.account(0).open_orders, 0u);
  EXPECT_EQ(l.audit(), "");
}

TEST(GateModify, AnUnansweredIncreaseStaysReservedUntilTheOrderCloses) {
  GateFixture f;
  expect_pass(f.send(GateFixture::order("B1", 10, k100)));
  f.venue(VenueEvent::Kind::accepted, "B1", 10, k100);
  expect_pass(f.send(GateFixture::modify("B1", 50, Side::buy)));
  const Ledger& l = f.gate.ledger();
  const Position& p = l.position(l.find_position(0, symbol_word("AAPL")));
  EXPECT_EQ(p.open_buy_shares, 50u);
  // The venue ignored it: executions of the 10 it knows close the order and free everything.
  EXPECT_EQ(f.venue(VenueEvent::Kind::executed, "B1", 4, k100), ApplyResult::applied);
  EXPECT_EQ(p.open_buy_shares, 46u);
  EXPECT_EQ(l.audit(), "");
  EXPECT_EQ(f.venue(VenueEvent::Kind::executed, "B1", 6, k100), ApplyResult::applied);
  EXPECT_EQ(p.open_buy_shares, 0u);
  EXPECT_EQ(p.open_notional, 0u);
  EXPECT_EQ(l.account(0).open_orders, 0u);
  EXPECT_EQ(l.audit(), "");
}

TEST(GateModify, RefusesSideChangesOtherThanBetweenSellMarksAndBadSizes) {
  GateFixture f;
  expect_pass(f.send(GateFixture::order("B1", 10, k100)));
  expect_pass(f.send(GateFixture::order("S1", 10, k100, Side::sell)));
  expect_fail(f.send(GateFixture::modify("B1", 10, Side::sell)), Check::order_fields,
              static_cast<uint64_t>(Side::sell), static_cast<uint64_t>(Side::buy));
  expect_fail(f.send(GateFixture::modify("S1", 10, Side::buy)), Check::order_fields,
              static_cast<uint64_t>(Side::buy), static_cast<uint64_t>(Side::sell));
  expect_fail(f.send(GateFixture::modify("S1", 10, Side::invalid)), Check::order_fields,
              static_cast<uint64_t>(Side::invalid), static_cast<uint64_t>(Side::sell));
  expect_fail(f.send(GateFixture::modify("S1", 0, Side::sell)), Check::order_fields, 0, 999'999);
  expect_fail(f.send(GateFixture::modify("S1", 1'000'000, Side::sell)), Check::order_fields,
              1'000'000, 999'999);
  // Not open, or with a replace pending: ignored, as OUCH ignores it.
  expect_fail(f.send(GateFixture::modify("nope", 5, Side::buy)), Check::order_known, 0, 0,
              Decision::ignore);
  expect_pass(f.send(GateFixture::replace("B1", "B2", 12, k100)));
  expect_fail(f.send(GateFixture::modify("B1", 5, Side::buy)), Check::order_known, 1, 0,
              Decision::ignore);
  // An Enter Order with a side letter OUCH does not have fails too (the gate saw Side::invalid).
  expect_fail(f.send(GateFixture::order("X1", 10, k100, Side::invalid)), Check::order_fields,
              static_cast<uint64_t>(Side::invalid), static_cast<uint64_t>(Side::short_exempt));
  EXPECT_EQ(f.gate.ledger().audit(), "");
}

TEST(GateModify, SafeModeAndKillSwitchesStopIncreases) {
  GateFixture f;
  expect_pass(f.send(GateFixture::order("B1", 10, k100)));
  f.safety.mode = SafetyMode::safe;
  expect_fail(f.send(GateFixture::modify("B1", 11, Side::buy)), Check::safety_mode, 2, 1);
  f.safety = {SafetyMode::normal, true};
  expect_fail(f.send(GateFixture::modify("B1", 11, Side::buy)), Check::kill_global, 1, 0);
  f.safety.kill = false;
  f.kill_mask = 1;
  expect_fail(f.send(GateFixture::modify("B1", 11, Side::buy)), Check::kill_account, 1, 0);
  f.kill_mask = 0;
  f.market.samples[1].value.flags = book::kRefStale;
  expect_fail(f.send(GateFixture::modify("B1", 11, Side::buy)), Check::reference_fresh, UINT64_MAX,
              1000 * 1'000'000ull, Decision::unknown);
  f.market.samples[1].value.flags = 0;
  expect_pass(f.send(GateFixture::modify("B1", 11, Side::buy)));
  // Refused modifies consumed nothing and left the reservation alone.
  const Ledger& l = f.gate.ledger();
  EXPECT_EQ(l.position(l.find_position(0, symbol_word("AAPL"))).open_buy_shares, 11u);
  EXPECT_EQ(l.audit(), "");
}

}  // namespace
}  // namespace sy::risk::test
