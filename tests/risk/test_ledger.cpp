// The fills ledger: a random mix of orders and venue events, checked against a model that only
// sums executions; and the snapshots a control thread reads.

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <random>
#include <thread>
#include <vector>

#include "src/risk/snapshot.hpp"
#include "tests/risk/risk_fixture.hpp"

namespace sy::risk::test {
namespace {

constexpr uint32_t k100 = 100 * kDollar;

struct ModelPosition {
  int64_t net = 0;
  uint64_t bought = 0, sold = 0, bought_notional = 0, sold_notional = 0;
};

// Random orders (new, replace, cancel) through the gate and random venue answers (accept,
// execute, cancel, reject, replace, and breaks and corrections of earlier executions) for the
// orders it let through. The model knows only the executions the test itself sent; at every
// step the ledger's positions must equal their sum, and its own invariants (reservations,
// totals, open list) must hold. The fill ring is small, so breaks of fills it has forgotten
// (refused, nothing booked) happen too.
TEST(LedgerProperty, PositionsEqualTheSumOfExecutions) {
  constexpr uint32_t kFills = 256;
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    GateFixture f(policy_yaml({{"max_open_orders", "40"}}), Ledger::Capacity{20000, 64, kFills});
    std::mt19937 rng(seed);
    auto pick = [&](uint32_t n) { return static_cast<uint32_t>(rng() % n); };
    std::map<std::pair<uint8_t, uint64_t>, ModelPosition> model;
    struct Sent {
      std::string token;
      uint16_t session;
      std::string previous;  // replace: the order it replaces
    };
    std::vector<Sent> sent;  // orders and replacements the gate let through
    struct Booked {
      uint64_t match;
      uint16_t session;
      OrderToken token;
      uint8_t account;
      uint64_t symbol;
      Side side;
      uint32_t shares, price;
      bool broken;
    };
    std::vector<Booked> fills;  // every execution booked, in order
    auto book = [&](const Booked& b, int sign) {
      ModelPosition& m = model[{b.account, b.symbol}];
      const int64_t q = sign * static_cast<int64_t>(b.shares);
      const int64_t notional = q * static_cast<int64_t>(b.price);
      m.net += is_buy(b.side) ? q : -q;
      (is_buy(b.side) ? m.bought : m.sold) += static_cast<uint64_t>(q);
      (is_buy(b.side) ? m.bought_notional : m.sold_notional) += static_cast<uint64_t>(notional);
    };
    uint64_t executions = 0, rebooked = 0, refused = 0;
    int n = 0;
    for (int step = 0; step < 5000; ++step) {
      const uint32_t what = pick(12);
      if (what >= 10 && !fills.empty()) {
        // Mostly recent fills (held), sometimes ones the ring has dropped.
        const size_t back = pick(static_cast<uint32_t>(std::min<size_t>(fills.size(), 2 * kFills)));
        Booked& b = fills[fills.size() - 1 - back];
        const bool held = back < kFills && !b.broken;
        VenueEvent ev;
        ev.session = b.session;
        ev.token = b.token;
        ev.match = b.match;
        ev.kind =
            static_cast<VenueEvent::Kind>(static_cast<uint8_t>(VenueEvent::Kind::broken) + pick(3));
        ev.shares = 1 + pick(300);
        ev.price = k100 - pick(5000);
        const ApplyResult res = f.gate.apply(ev);
        if (!held) {
          EXPECT_EQ(res, ApplyResult::unknown_match) << "back " << back;
          ++refused;
          continue;
        }
        ASSERT_EQ(res, ApplyResult::applied) << "back " << back;
        ++rebooked;
        book(b, -1);
        if (ev.kind == VenueEvent::Kind::broken) {
          b.broken = true;
          executions -= b.shares;
          continue;
        }
        if (ev.kind == VenueEvent::Kind::trade_corrected) {
          executions += ev.shares;
          executions -= b.shares;
          b.shares = ev.shares;
        }
        b.price = ev.price;
        book(b, +1);
        continue;
      }
      if (what < 3 || sent.empty()) {
        const std::string token = "N" + std::to_string(++n);
        const uint16_t session = static_cast<uint16_t>(pick(3));
        const uint8_t account = session == 2 ? 1 : 0;
        const char* symbol = account == 1 || pick(2) ? "AAPL" : "MSFT";
        const Side side = static_cast<Side>(pick(4));
        const GateResult r = f.send(GateFixture::order(
            token, 1 + pick(500), k100 - 20000 + pick(40000), side, symbol, session, account));
        if (decision(r) == Decision::pass) sent.push_back({token, session, ""});
        continue;
      }
      const Sent s = sent[pick(static_cast<uint32_t>(sent.size()))];
      const uint32_t slot = f.gate.ledger().find(s.session, make_token(s.token));
      ASSERT_NE(slot, kNoSlot);
      const OrderEntry o = f.gate.ledger().order(slot);
      VenueEvent ev;
      ev.session = s.session;
      ev.token = make_token(s.token);
      if (o.state == OrderState::pending_new) {
        ev.kind = pick(5) == 0 ? VenueEvent::Kind::rejected : VenueEvent::Kind::accepted;
        ev.shares = o.remaining;
        ev.price = o.price;
        ev.dead = pick(20) == 0;
      } else if (o.state == OrderState::pending_replace) {
        if (pick(3) == 0) {
          ev.kind = VenueEvent::Kind::rejected;
        } else {
          const OrderEntry& old = f.gate.ledger().order(o.link);
          ev.kind = VenueEvent::Kind::replaced;
          ev.previous = old.token();
          // What is left exposed: executions on the old order may have used it all.
          ev.shares = o.chain_total > old.executed ? o.chain_total - old.executed : 0;
          ev.price = o.price;
        }
      } else if (o.state == OrderState::live) {
        ASSERT_GT(o.remaining, 0u) << "a live order with nothing open must be closed";
        const uint32_t a = pick(12);
        if (a < 5) {
          ev.kind = VenueEvent::Kind::executed;
          ev.shares = 1 + pick(o.remaining + 5);  // sometimes more than open: overfill
          ev.price = o.price - pick(100);
          ev.match = uint64_t{rng()} << 32 | rng();  // venue-chosen: any 64-bit value
        } else if (a < 7) {
          ev.kind = VenueEvent::Kind::canceled;
          ev.shares = 1 + pick(o.remaining);
        } else if (a < 9) {
          const std::string token = "R" + std::to_string(++n);
          const GateResult r = f.send(GateFixture::replace(
              s.token, token, o.executed + 1 + pick(400), o.price + pick(100), s.session));
          if (decision(r) == Decision::pass) sent.push_back({token, s.session, s.token});
          continue;
        } else if (a < 10) {
          f.send(GateFixture::cancel(s.token, s.session));  // the gate does not change the ledger
          continue;
        } else {
          // Modify to a smaller or larger size (sell marks may change); the venue answers most.
          const uint32_t total = o.executed + 1 + pick(2 * o.remaining + 50);
          const Side side = is_buy(o.side) ? o.side : static_cast<Side>(1 + pick(3));
          const GateResult r = f.send(GateFixture::modify(s.token, total, side, s.session));
          if (decision(r) != Decision::pass || pick(4) == 0) continue;
          ev.kind = VenueEvent::Kind::modified;
          ev.side = side;
          ev.shares = total - o.executed;
        }
      } else {
        // Closed: the venue repeats itself or is confused; the ledger must refuse it.
        ev.kind = VenueEvent::Kind::executed;
        ev.shares = 1;
        ev.price = k100;
        EXPECT_EQ(f.gate.apply(ev), ApplyResult::unknown_order);
        continue;
      }
      if (ev.kind == VenueEvent::Kind::executed) {
        const uint32_t q = std::min(ev.shares, o.remaining);
        const Booked b{ev.match, s.session, ev.token, o.account, o.symbol,
                       o.side,   q,         ev.price, false};
        book(b, +1);
        fills.push_back(b);
        executions += q;
        const ApplyResult res = f.gate.apply(ev);
        EXPECT_EQ(res, q == ev.shares ? ApplyResult::applied : ApplyResult::overfill);
      } else {
        EXPECT_EQ(f.gate.apply(ev), ApplyResult::applied) << static_cast<int>(ev.kind);
      }
      if (step % 100 == 0) {
        ASSERT_EQ(f.gate.ledger().audit(), "") << "step " << step;
      }
    }
    ASSERT_EQ(f.gate.ledger().audit(), "");
    uint64_t ledger_executed = 0;
    size_t positions = 0;
    f.gate.ledger().for_each_position([&](uint32_t, const Position& p) {
      ++positions;
      const ModelPosition& m = model[{p.account, p.symbol}];
      EXPECT_EQ(p.net_shares, m.net) << symbol_text(p.symbol);
      EXPECT_EQ(p.bought_shares, m.bought);
      EXPECT_EQ(p.sold_shares, m.sold);
      EXPECT_EQ(p.bought_notional, m.bought_notional);
      EXPECT_EQ(p.sold_notional, m.sold_notional);
      ledger_executed += p.bought_shares + p.sold_shares;
    });
    EXPECT_EQ(ledger_executed, executions);
    EXPECT_GE(positions, 2u);
    EXPECT_GT(executions, 0u);
    EXPECT_GT(fills.size(), kFills) << "the fill ring must wrap";
    EXPECT_GT(rebooked, 0u);
    EXPECT_GT(refused, 0u);
    // Every open order ends when the venue says so: cancel them all, nothing stays reserved.
    std::vector<std::pair<uint16_t, OrderToken>> open;
    f.gate.ledger().for_each_cancelable(
        [&](const OrderEntry& o) { open.emplace_back(o.session, o.token()); });
    for (const auto& [session, token] : open) {
      VenueEvent ev;
      ev.kind = VenueEvent::Kind::canceled;
      ev.session = session;
      ev.token = token;
      ev.shares = f.gate.ledger().order(f.gate.ledger().find(session, token)).remaining;
      EXPECT_EQ(f.gate.apply(ev), ApplyResult::applied);
    }
    EXPECT_EQ(f.gate.ledger().open_head(), kNoSlot);
    for (uint8_t a : {uint8_t{0}, uint8_t{1}})
      EXPECT_EQ(f.gate.ledger().account(a).open_orders, 0u);
    f.gate.ledger().for_each_position([&](uint32_t, const Position& p) {
      EXPECT_EQ(p.open_buy_shares + p.open_sell_shares + p.open_notional, 0u);
    });
    ASSERT_EQ(f.gate.ledger().audit(), "");
  }
}

TEST(LedgerSnapshots, PublishesInStepsAndReadsConsistently) {
  GateFixture f;
  for (int i = 0; i < 50; ++i)
    ASSERT_EQ(decision(f.send(GateFixture::order("S" + std::to_string(i), 10, k100))),
              Decision::pass);
  f.venue(VenueEvent::Kind::accepted, "S0", 10, k100);
  f.venue(VenueEvent::Kind::executed, "S0", 4, k100);
  LedgerSnapshots snaps(64, 256);
  LedgerSnapshot out;
  EXPECT_FALSE(snaps.read(out));  // nothing published yet
  // Budget 8: 50 orders and 512 position slots take several steps; an order closing while the
  // walk stands on it moves the walk on.
  int steps = 0;
  while (!snaps.publish_step(f.gate.ledger(), 1000, 1'000'000, 8)) {
    // After two steps the walk stands on S16: closing it must move the walk on.
    if (++steps == 2) f.venue(VenueEvent::Kind::rejected, "S16", 0, 0);
    ASSERT_LT(steps, 1000);
  }
  EXPECT_GT(steps, 5);
  ASSERT_TRUE(snaps.read(out));
  EXPECT_EQ(out.generation, 1u);
  EXPECT_EQ(out.open_count, 49u);
  EXPECT_FALSE(out.truncated);
  EXPECT_EQ(out.position_count, 1u);
  EXPECT_EQ(out.positions[0].net_shares, 4);
  EXPECT_EQ(out.accounts[0].open_orders, 49u);
  EXPECT_EQ(out.open_orders[0].executed, 4u);
  // Not due again before the interval.
  EXPECT_FALSE(snaps.publish_step(f.gate.ledger(), 2000, 1'000'000, 100000));
  EXPECT_TRUE(snaps.publish_step(f.gate.ledger(), 1'001'000, 1'000'000, 100000));
  ASSERT_TRUE(snaps.read(out));
  EXPECT_EQ(out.generation, 2u);
}

// A reader thread copying while the lcore republishes as fast as it can: every copy is one
// whole snapshot (its open orders agree with its account totals), and the writer never waits.
TEST(LedgerSnapshots, ConcurrentReaderSeesWholeSnapshots) {
  GateFixture f;
  LedgerSnapshots snaps(4096, 256);
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> reads{0};
  std::atomic<uint64_t> torn{0};
  std::thread reader([&] {
    LedgerSnapshot s;
    while (!stop.load()) {
      if (!snaps.read(s)) continue;
      reads.fetch_add(1);
      if (s.open_count != s.accounts[0].open_orders) torn.fetch_add(1);
    }
  });
  uint64_t now = 0;
  int n = 0;
  for (int round = 0; round < 3000; ++round) {
    // Change the ledger only between snapshots, so a whole snapshot is self-consistent.
    f.send(GateFixture::order("C" + std::to_string(++n), 1, k100));
    if (n % 3 == 0) f.venue(VenueEvent::Kind::rejected, "C" + std::to_string(n - 1), 0, 0);
    while (!snaps.publish_step(f.gate.ledger(), ++now, 0, 1u << 20)) {
    }
  }
  stop.store(true);
  reader.join();
  EXPECT_GT(reads.load(), 0u);
  EXPECT_EQ(torn.load(), 0u);
}

}  // namespace
}  // namespace sy::risk::test
