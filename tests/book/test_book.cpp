// Order book: every record's effect, error results, capacities, a randomized differential test
// against a naive std::map model, and the reference-price seqlock under concurrent readers.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <random>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "src/book/order_book.hpp"
#include "src/book/reference_prices.hpp"

namespace sy::book {
namespace {

// ---------------------------------------------------------------------------------------------
// Record builders

CanonicalRecord rec(CanonicalKind kind, uint16_t locate, uint64_t ns = 0) {
  CanonicalRecord r{};
  r.kind = kind;
  r.locate = locate;
  r.exchange_ns = ns;
  r.rx_ns = ns + 1000;
  return r;
}
CanonicalRecord add(uint16_t loc, uint64_t ref, char side, uint32_t shares, uint32_t price,
                    uint64_t ns = 0) {
  CanonicalRecord r = rec(CanonicalKind::add, loc, ns);
  r.order_ref = ref;
  r.side = static_cast<uint8_t>(side);
  r.shares = shares;
  r.price = price;
  r.itch_type = 'A';
  return r;
}
CanonicalRecord exec(uint16_t loc, uint64_t ref, uint32_t shares, uint64_t ns = 0) {
  CanonicalRecord r = rec(CanonicalKind::execute, loc, ns);
  r.order_ref = ref;
  r.shares = shares;
  return r;
}
CanonicalRecord exec_price(uint16_t loc, uint64_t ref, uint32_t shares, uint32_t price,
                           bool printable, uint64_t ns = 0) {
  CanonicalRecord r = rec(CanonicalKind::execute_price, loc, ns);
  r.order_ref = ref;
  r.shares = shares;
  r.price = price;
  r.code = printable ? 'Y' : 'N';
  return r;
}
CanonicalRecord cancel(uint16_t loc, uint64_t ref, uint32_t shares) {
  CanonicalRecord r = rec(CanonicalKind::cancel, loc);
  r.order_ref = ref;
  r.shares = shares;
  return r;
}
CanonicalRecord del(uint16_t loc, uint64_t ref) {
  CanonicalRecord r = rec(CanonicalKind::delete_order, loc);
  r.order_ref = ref;
  return r;
}
CanonicalRecord replace(uint16_t loc, uint64_t ref, uint64_t new_ref, uint32_t shares,
                        uint32_t price) {
  CanonicalRecord r = rec(CanonicalKind::replace, loc);
  r.order_ref = ref;
  r.new_order_ref = new_ref;
  r.shares = shares;
  r.price = price;
  return r;
}
CanonicalRecord trade(uint16_t loc, uint32_t shares, uint32_t price, uint64_t ns = 0) {
  CanonicalRecord r = rec(CanonicalKind::trade, loc, ns);
  r.side = 'B';
  r.shares = shares;
  r.price = price;
  return r;
}
CanonicalRecord cross(uint16_t loc, uint32_t shares, uint32_t price, uint64_t ns = 0) {
  CanonicalRecord r = rec(CanonicalKind::cross, loc, ns);
  r.shares = shares;
  r.price = price;
  r.code = 'O';
  return r;
}
CanonicalRecord broken(uint16_t loc, uint64_t match) {
  CanonicalRecord r = rec(CanonicalKind::broken_trade, loc);
  r.match_number = match;
  return r;
}
CanonicalRecord directory(uint16_t loc) { return rec(CanonicalKind::directory, loc); }

constexpr BookCapacity kCap{8, 1024, 32};

// A book with locates 1 and 2 announced.
struct Fixture {
  ReferencePrices refs{kCap.max_instruments + 1};
  OrderBook book;
  explicit Fixture(const BookCapacity& cap = kCap, const BookOptions& opts = {})
      : book(cap, &refs, opts) {
    book.add_instrument(1, make_symbol("AAPL"));
    book.add_instrument(2, make_symbol("MSFT"));
  }
};

Level lvl(uint32_t price, uint32_t orders, uint64_t shares) { return Level{price, orders, shares}; }

// ---------------------------------------------------------------------------------------------
// Record effects

TEST(OrderBook, AddsAggregateIntoSortedLevels) {
  Fixture f;
  OrderBook& b = f.book;
  EXPECT_EQ(b.apply(add(1, 1, 'B', 100, 1000)), ApplyResult::applied);
  EXPECT_EQ(b.apply(add(1, 2, 'B', 200, 1000)), ApplyResult::applied);
  EXPECT_EQ(b.apply(add(1, 3, 'B', 50, 990)), ApplyResult::applied);
  EXPECT_EQ(b.apply(add(1, 4, 'B', 70, 1010)), ApplyResult::applied);
  EXPECT_EQ(b.apply(add(1, 5, 'S', 10, 1030)), ApplyResult::applied);
  EXPECT_EQ(b.apply(add(1, 6, 'S', 20, 1020)), ApplyResult::applied);
  EXPECT_EQ(b.apply(add(1, 7, 'S', 30, 1020)), ApplyResult::applied);
  EXPECT_EQ(b.apply(add(1, 8, 'S', 40, 1050)), ApplyResult::applied);

  const Bbo bbo = b.bbo(1);
  ASSERT_TRUE(bbo.has_bid && bbo.has_ask);
  EXPECT_EQ(bbo.bid, lvl(1010, 1, 70));
  EXPECT_EQ(bbo.ask, lvl(1020, 2, 50));
  EXPECT_EQ(b.levels(1, Side::bid, 10),
            (std::vector<Level>{lvl(1010, 1, 70), lvl(1000, 2, 300), lvl(990, 1, 50)}));
  EXPECT_EQ(b.levels(1, Side::ask, 2), (std::vector<Level>{lvl(1020, 2, 50), lvl(1030, 1, 10)}));
  EXPECT_EQ(b.levels(1, Side::ask, 10).size(), 3u);
  EXPECT_FALSE(b.bbo(2).has_bid || b.bbo(2).has_ask);  // other instrument untouched
  EXPECT_EQ(b.live_orders(), 8u);
  EXPECT_EQ(b.instrument(1)->live_orders, 8u);
  EXPECT_EQ(b.count(ApplyResult::applied), 8u);
  EXPECT_TRUE(b.check_invariants());
}

TEST(OrderBook, ExecuteReducesAtOrderPriceAndRemovesAtZero) {
  Fixture f;
  OrderBook& b = f.book;
  b.apply(add(1, 1, 'B', 100, 1000));
  b.apply(add(1, 2, 'B', 200, 1000));
  EXPECT_EQ(b.apply(exec(1, 1, 30, 5555)), ApplyResult::applied);
  EXPECT_EQ(b.bbo(1).bid, lvl(1000, 2, 270));
  EXPECT_EQ(b.order(1)->shares, 70u);
  const InstrumentState* in = b.instrument(1);
  EXPECT_TRUE(in->has_last_trade);
  EXPECT_EQ(in->last_price, 1000u);
  EXPECT_EQ(in->last_trade_ns, 5555u);
  EXPECT_EQ(in->volume, 30u);

  EXPECT_EQ(b.apply(exec(1, 1, 70, 6666)), ApplyResult::applied);  // cumulative: now zero
  EXPECT_FALSE(b.order(1).has_value());
  EXPECT_EQ(b.bbo(1).bid, lvl(1000, 1, 200));
  EXPECT_EQ(in->volume, 100u);
  EXPECT_EQ(in->last_trade_ns, 6666u);
  EXPECT_EQ(b.live_orders(), 1u);
  EXPECT_TRUE(b.check_invariants());
}

TEST(OrderBook, ExecuteWithPricePrintableAndNot) {
  Fixture f;
  OrderBook& b = f.book;
  b.apply(add(1, 1, 'S', 100, 1000));
  // Non-printable: the book shrinks but no trade price or volume (it comes back in a cross).
  EXPECT_EQ(b.apply(exec_price(1, 1, 40, 995, false, 10)), ApplyResult::applied);
  EXPECT_EQ(b.bbo(1).ask, lvl(1000, 1, 60));
  EXPECT_FALSE(b.instrument(1)->has_last_trade);
  EXPECT_EQ(b.instrument(1)->volume, 0u);
  RefValue v;
  ASSERT_TRUE(f.refs.read(1, v));
  EXPECT_EQ(v.ask_shares, 60u);
  EXPECT_EQ(v.flags, kRefNoBid | kRefNoTrade);  // still no trade
  // Printable: last trade at the execution price, not the order's.
  EXPECT_EQ(b.apply(exec_price(1, 1, 60, 998, true, 20)), ApplyResult::applied);
  EXPECT_FALSE(b.bbo(1).has_ask);
  EXPECT_EQ(b.instrument(1)->last_price, 998u);
  EXPECT_EQ(b.instrument(1)->last_trade_ns, 20u);
  EXPECT_EQ(b.instrument(1)->volume, 60u);
  EXPECT_TRUE(b.check_invariants());
}

TEST(OrderBook, CancelPartialAndFull) {
  Fixture f;
  OrderBook& b = f.book;
  b.apply(add(2, 9, 'B', 500, 2000));
  EXPECT_EQ(b.apply(cancel(2, 9, 100)), ApplyResult::applied);
  EXPECT_EQ(b.bbo(2).bid, lvl(2000, 1, 400));
  EXPECT_EQ(b.order(9)->shares, 400u);
  EXPECT_EQ(b.apply(cancel(2, 9, 400)), ApplyResult::applied);
  EXPECT_FALSE(b.bbo(2).has_bid);
  EXPECT_FALSE(b.order(9).has_value());
  EXPECT_FALSE(b.instrument(2)->has_last_trade);  // a cancel is not a trade
  EXPECT_EQ(b.instrument(2)->volume, 0u);
  EXPECT_TRUE(b.check_invariants());
}

TEST(OrderBook, DeleteRemovesWholeOrder) {
  Fixture f;
  OrderBook& b = f.book;
  b.apply(add(1, 1, 'S', 100, 1000));
  b.apply(add(1, 2, 'S', 100, 1000));
  EXPECT_EQ(b.apply(del(1, 1)), ApplyResult::applied);
  EXPECT_EQ(b.bbo(1).ask, lvl(1000, 1, 100));
  EXPECT_EQ(b.apply(del(1, 2)), ApplyResult::applied);
  EXPECT_FALSE(b.bbo(1).has_ask);
  EXPECT_EQ(b.live_orders(), 0u);
  EXPECT_EQ(b.instrument(1)->live_orders, 0u);
  EXPECT_TRUE(b.check_invariants());
}

TEST(OrderBook, ReplaceKeepsSideAndLocateAndMovesTheOrder) {
  Fixture f;
  OrderBook& b = f.book;
  b.apply(add(2, 10, 'S', 100, 1500));
  b.apply(add(2, 11, 'S', 300, 1500));
  b.apply(add(2, 12, 'B', 300, 1400));
  // The replace carries neither side nor stock: they come from order 10.
  EXPECT_EQ(b.apply(replace(2, 10, 20, 250, 1490)), ApplyResult::applied);
  EXPECT_FALSE(b.order(10).has_value());
  const auto o = b.order(20);
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->side, Side::ask);
  EXPECT_EQ(o->locate, 2u);
  EXPECT_EQ(o->shares, 250u);
  EXPECT_EQ(o->price, 1490u);
  EXPECT_EQ(b.levels(2, Side::ask, 5), (std::vector<Level>{lvl(1490, 1, 250), lvl(1500, 1, 300)}));
  EXPECT_EQ(b.bbo(2).bid, lvl(1400, 1, 300));
  // Same price, new size: the order leaves and rejoins its level (priority lost; the
  // aggregate shows the new size).
  EXPECT_EQ(b.apply(replace(2, 11, 21, 50, 1500)), ApplyResult::applied);
  EXPECT_EQ(b.levels(2, Side::ask, 5), (std::vector<Level>{lvl(1490, 1, 250), lvl(1500, 1, 50)}));
  EXPECT_EQ(b.live_orders(), 3u);
  EXPECT_EQ(b.instrument(2)->live_orders, 3u);
  EXPECT_TRUE(b.check_invariants());
}

TEST(OrderBook, TradeCrossAndBrokenDoNotTouchTheBook) {
  Fixture f;
  OrderBook& b = f.book;
  b.apply(add(1, 1, 'B', 100, 1000));
  const Bbo before = b.bbo(1);
  EXPECT_EQ(b.apply(trade(1, 300, 1005, 7)), ApplyResult::applied);
  EXPECT_EQ(b.instrument(1)->last_price, 1005u);
  EXPECT_EQ(b.instrument(1)->last_trade_ns, 7u);
  EXPECT_EQ(b.instrument(1)->volume, 300u);
  EXPECT_EQ(b.apply(cross(1, 0, 1100, 8)), ApplyResult::applied);  // no cross happened
  EXPECT_EQ(b.instrument(1)->last_price, 1005u);
  EXPECT_EQ(b.instrument(1)->volume, 300u);
  EXPECT_EQ(b.apply(cross(1, 5000, 1010, 9)), ApplyResult::applied);
  EXPECT_EQ(b.instrument(1)->last_price, 1010u);
  EXPECT_EQ(b.instrument(1)->last_trade_ns, 9u);
  EXPECT_EQ(b.instrument(1)->volume, 5300u);
  EXPECT_EQ(b.apply(broken(1, 77)), ApplyResult::ignored);
  EXPECT_EQ(b.instrument(1)->last_price, 1010u);
  EXPECT_EQ(b.instrument(1)->volume, 5300u);
  EXPECT_EQ(b.bbo(1).bid, before.bid);
  EXPECT_EQ(b.live_orders(), 1u);
  EXPECT_EQ(b.apply(trade(5, 1, 1)), ApplyResult::unknown_instrument);
  EXPECT_EQ(b.apply(rec(CanonicalKind::system_event, 0)), ApplyResult::ignored);
  EXPECT_EQ(b.apply(rec(CanonicalKind::trading_action, 1)), ApplyResult::ignored);
  EXPECT_EQ(b.apply(rec(CanonicalKind::other, 1)), ApplyResult::ignored);
  EXPECT_EQ(b.count(ApplyResult::ignored), 4u);
}

TEST(OrderBook, BestLevelMovesWhenItEmpties) {
  Fixture f;
  OrderBook& b = f.book;
  b.apply(add(1, 1, 'B', 10, 1000));
  b.apply(add(1, 2, 'B', 20, 1010));
  b.apply(add(1, 3, 'B', 30, 1020));
  b.apply(add(1, 4, 'S', 40, 1040));
  b.apply(add(1, 5, 'S', 50, 1030));
  b.apply(add(1, 6, 'S', 60, 1050));
  EXPECT_EQ(b.bbo(1).bid, lvl(1020, 1, 30));
  EXPECT_EQ(b.bbo(1).ask, lvl(1030, 1, 50));
  b.apply(exec(1, 3, 30));
  EXPECT_EQ(b.bbo(1).bid, lvl(1010, 1, 20));
  b.apply(del(1, 5));
  EXPECT_EQ(b.bbo(1).ask, lvl(1040, 1, 40));
  b.apply(cancel(1, 2, 20));
  EXPECT_EQ(b.bbo(1).bid, lvl(1000, 1, 10));
  b.apply(replace(1, 4, 44, 40, 1060));  // the best ask moves behind another level
  EXPECT_EQ(b.bbo(1).ask, lvl(1050, 1, 60));
  b.apply(del(1, 1));
  EXPECT_FALSE(b.bbo(1).has_bid);
  // A non-best level empties: the best stays.
  b.apply(add(1, 7, 'S', 5, 1055));
  b.apply(del(1, 7));
  EXPECT_EQ(b.bbo(1).ask, lvl(1050, 1, 60));
  EXPECT_TRUE(b.check_invariants());
}

// ---------------------------------------------------------------------------------------------
// Error results

TEST(OrderBook, UnknownOrderLeavesTheBookAndIsCounted) {
  Fixture f(kCap, BookOptions{.mark_unknown_on_error = false});
  OrderBook& b = f.book;
  b.apply(add(1, 1, 'B', 100, 1000));
  EXPECT_EQ(b.apply(exec(1, 99, 10)), ApplyResult::unknown_order);
  EXPECT_EQ(b.apply(exec_price(1, 99, 10, 5, true)), ApplyResult::unknown_order);
  EXPECT_EQ(b.apply(cancel(1, 99, 10)), ApplyResult::unknown_order);
  EXPECT_EQ(b.apply(del(1, 99)), ApplyResult::unknown_order);
  EXPECT_EQ(b.apply(replace(1, 99, 100, 10, 1000)), ApplyResult::unknown_order);
  // Order 1 exists, but on locate 1: a record for locate 2 does not touch it.
  EXPECT_EQ(b.apply(del(2, 1)), ApplyResult::unknown_order);
  EXPECT_EQ(b.count(ApplyResult::unknown_order), 6u);
  EXPECT_EQ(b.bbo(1).bid, lvl(1000, 1, 100));
  EXPECT_FALSE(b.order(100).has_value());
  EXPECT_FALSE(b.instrument(1)->has_last_trade);  // no trade recorded for an unknown order
  EXPECT_FALSE(b.instrument(1)->book_unknown);
  EXPECT_TRUE(b.check_invariants());
}

TEST(OrderBook, ErrorsMarkTheInstrumentUnknownByDefault) {
  Fixture f;
  OrderBook& b = f.book;
  b.apply(add(1, 1, 'B', 100, 1000));
  EXPECT_EQ(b.apply(del(1, 99)), ApplyResult::unknown_order);
  EXPECT_TRUE(b.instrument(1)->book_unknown);
  EXPECT_FALSE(b.instrument(2)->book_unknown);
  RefValue v;
  ASSERT_TRUE(f.refs.read(1, v));
  EXPECT_NE(v.flags & kRefBookUnknown, 0u);
}

TEST(OrderBook, OverfillClampsAndRemoves) {
  Fixture f;
  OrderBook& b = f.book;
  b.apply(add(1, 1, 'B', 100, 1000));
  b.apply(add(1, 2, 'B', 100, 1000));
  b.apply(add(1, 3, 'S', 100, 1100));
  EXPECT_EQ(b.apply(exec(1, 1, 150)), ApplyResult::overfill);
  EXPECT_FALSE(b.order(1).has_value());
  EXPECT_EQ(b.bbo(1).bid, lvl(1000, 1, 100));
  EXPECT_EQ(b.instrument(1)->volume, 150u);  // what the exchange says traded
  EXPECT_EQ(b.apply(cancel(1, 3, 101)), ApplyResult::overfill);
  EXPECT_FALSE(b.bbo(1).has_ask);
  EXPECT_EQ(b.apply(exec_price(1, 2, 101, 999, true)), ApplyResult::overfill);
  EXPECT_FALSE(b.bbo(1).has_bid);
  EXPECT_EQ(b.count(ApplyResult::overfill), 3u);
  EXPECT_EQ(b.live_orders(), 0u);
  EXPECT_TRUE(b.instrument(1)->book_unknown);
  EXPECT_TRUE(b.check_invariants());
}

TEST(OrderBook, OrderCapacityIsCountedNeverFatal) {
  Fixture f(BookCapacity{4, 3, 8});
  OrderBook& b = f.book;
  EXPECT_GE(b.order_table_slots(), 6u);
  for (uint64_t r = 1; r <= 3; ++r) {
    EXPECT_EQ(b.apply(add(1, r, 'B', 10, 1000)), ApplyResult::applied);
  }
  EXPECT_EQ(b.apply(add(1, 4, 'B', 10, 1000)), ApplyResult::capacity);
  EXPECT_EQ(b.apply(add(2, 5, 'S', 10, 2000)), ApplyResult::capacity);
  EXPECT_EQ(b.count(ApplyResult::capacity), 2u);
  EXPECT_EQ(b.bbo(1).bid, lvl(1000, 3, 30));
  EXPECT_FALSE(b.bbo(2).has_ask);
  EXPECT_TRUE(b.instrument(1)->book_unknown);  // the book now lacks an order
  // A replace frees its original first, so it fits even when full.
  EXPECT_EQ(b.apply(replace(1, 1, 6, 10, 1001)), ApplyResult::applied);
  EXPECT_EQ(b.apply(del(1, 2)), ApplyResult::applied);
  EXPECT_EQ(b.apply(add(1, 4, 'B', 10, 1000)), ApplyResult::applied);
  EXPECT_EQ(b.live_orders(), 3u);
  EXPECT_TRUE(b.check_invariants());
}

TEST(OrderBook, LevelCapacityIsPerSidePerInstrument) {
  Fixture f(BookCapacity{4, 64, 2});
  OrderBook& b = f.book;
  EXPECT_EQ(b.apply(add(1, 1, 'B', 10, 1000)), ApplyResult::applied);
  EXPECT_EQ(b.apply(add(1, 2, 'B', 10, 1010)), ApplyResult::applied);
  EXPECT_EQ(b.apply(add(1, 3, 'B', 10, 1020)), ApplyResult::capacity);  // a third bid price
  EXPECT_EQ(b.apply(add(1, 4, 'B', 10, 990)), ApplyResult::capacity);
  EXPECT_EQ(b.apply(add(1, 5, 'B', 10, 1010)), ApplyResult::applied);  // existing level
  EXPECT_EQ(b.apply(add(1, 6, 'S', 10, 1100)), ApplyResult::applied);  // other side
  EXPECT_EQ(b.apply(add(1, 7, 'S', 10, 1110)), ApplyResult::applied);
  EXPECT_EQ(b.apply(add(2, 8, 'B', 10, 1020)), ApplyResult::applied);  // other instrument
  EXPECT_EQ(b.levels(1, Side::bid, 5), (std::vector<Level>{lvl(1010, 2, 20), lvl(1000, 1, 10)}));
  // Order 1 is alone at 1000: replacing it to a new price frees that level first.
  EXPECT_EQ(b.apply(replace(1, 1, 11, 10, 1030)), ApplyResult::applied);
  EXPECT_EQ(b.levels(1, Side::bid, 5), (std::vector<Level>{lvl(1030, 1, 10), lvl(1010, 2, 20)}));
  // Order 2 shares 1010 with order 5: no level frees up, so the new price does not fit. The
  // original is gone (it was replaced at the exchange); the new order is missing and counted.
  EXPECT_EQ(b.apply(replace(1, 2, 12, 10, 1040)), ApplyResult::capacity);
  EXPECT_FALSE(b.order(2).has_value());
  EXPECT_FALSE(b.order(12).has_value());
  EXPECT_EQ(b.levels(1, Side::bid, 5), (std::vector<Level>{lvl(1030, 1, 10), lvl(1010, 1, 10)}));
  EXPECT_EQ(b.count(ApplyResult::capacity), 3u);
  EXPECT_TRUE(b.check_invariants());
}

TEST(OrderBook, UnknownInstrument) {
  Fixture f;
  OrderBook& b = f.book;
  EXPECT_EQ(b.apply(add(0, 1, 'B', 10, 1000)), ApplyResult::unknown_instrument);
  EXPECT_EQ(b.apply(add(3, 1, 'B', 10, 1000)), ApplyResult::unknown_instrument);  // unannounced
  EXPECT_EQ(b.apply(add(9, 1, 'B', 10, 1000)), ApplyResult::unknown_instrument);  // > capacity
  EXPECT_EQ(b.apply(add(65535, 1, 'B', 10, 1000)), ApplyResult::unknown_instrument);
  EXPECT_EQ(b.apply(exec(3, 1, 10)), ApplyResult::unknown_instrument);
  EXPECT_EQ(b.apply(replace(3, 1, 2, 10, 10)), ApplyResult::unknown_instrument);
  EXPECT_EQ(b.apply(del(3, 1)), ApplyResult::unknown_instrument);
  EXPECT_EQ(b.apply(directory(9)), ApplyResult::unknown_instrument);
  EXPECT_EQ(b.count(ApplyResult::unknown_instrument), 8u);
  EXPECT_EQ(b.live_orders(), 0u);
  EXPECT_EQ(b.instrument(3), nullptr);
  EXPECT_FALSE(b.add_instrument(0, make_symbol("X")));
  EXPECT_FALSE(b.add_instrument(9, make_symbol("X")));

  // A directory record announces it; the symbol is passed beside the record.
  EXPECT_EQ(b.apply(directory(3), make_symbol("QQQ")), ApplyResult::applied);
  ASSERT_NE(b.instrument(3), nullptr);
  EXPECT_EQ(b.instrument(3)->symbol, make_symbol("QQQ"));
  EXPECT_EQ(std::string_view(b.instrument(3)->symbol.data(), 8), "QQQ     ");
  EXPECT_EQ(b.apply(add(3, 1, 'B', 10, 1000)), ApplyResult::applied);
  EXPECT_EQ(b.apply(directory(4)), ApplyResult::applied);  // no symbol given: blank
  EXPECT_EQ(b.instrument(4)->symbol, make_symbol(""));
  EXPECT_EQ(b.apply(directory(3), make_symbol("QQQM")), ApplyResult::applied);  // re-announce
  EXPECT_EQ(b.instrument(3)->symbol, make_symbol("QQQM"));
  EXPECT_EQ(b.bbo(3).bid, lvl(1000, 1, 10));  // the book is kept
}

TEST(OrderBook, ImplicitInstruments) {
  Fixture f(kCap, BookOptions{.implicit_instruments = true});
  OrderBook& b = f.book;
  EXPECT_EQ(b.apply(add(5, 1, 'S', 10, 1000)), ApplyResult::applied);
  ASSERT_NE(b.instrument(5), nullptr);
  EXPECT_EQ(b.bbo(5).ask, lvl(1000, 1, 10));
  EXPECT_EQ(b.apply(add(9, 2, 'S', 10, 1000)), ApplyResult::unknown_instrument);
  RefValue v;
  ASSERT_TRUE(f.refs.read(5, v));
  EXPECT_EQ(v.ask_price, 1000u);  // published although the instrument appeared in this record
}

TEST(OrderBook, DuplicateAndInvalid) {
  Fixture f;
  OrderBook& b = f.book;
  b.apply(add(1, 1, 'B', 10, 1000));
  b.apply(add(1, 2, 'B', 10, 1000));
  EXPECT_EQ(b.apply(add(1, 1, 'S', 99, 1200)), ApplyResult::duplicate_order);
  EXPECT_EQ(b.apply(add(2, 1, 'S', 99, 1200)), ApplyResult::duplicate_order);  // feed-wide refs
  EXPECT_EQ(b.apply(replace(1, 1, 2, 10, 1000)), ApplyResult::duplicate_order);
  EXPECT_EQ(b.apply(add(1, 3, 'X', 10, 1000)), ApplyResult::invalid);
  EXPECT_EQ(b.apply(add(1, 3, 'B', 0, 1000)), ApplyResult::invalid);
  EXPECT_EQ(b.apply(replace(1, 1, 3, 0, 1000)), ApplyResult::invalid);
  EXPECT_EQ(b.count(ApplyResult::duplicate_order), 3u);
  EXPECT_EQ(b.count(ApplyResult::invalid), 3u);
  EXPECT_EQ(b.bbo(1).bid, lvl(1000, 2, 20));
  EXPECT_FALSE(b.bbo(2).has_ask);
  EXPECT_EQ(b.order(1)->side, Side::bid);
  EXPECT_TRUE(b.check_invariants());
  // Replacing an order with its own reference is not a duplicate.
  EXPECT_EQ(b.apply(replace(1, 1, 1, 30, 1005)), ApplyResult::applied);
  EXPECT_EQ(b.order(1)->price, 1005u);
  EXPECT_TRUE(b.check_invariants());
}

TEST(OrderBook, MarkUnknownAndResetAll) {
  Fixture f;
  OrderBook& b = f.book;
  b.apply(add(1, 1, 'B', 10, 1000));
  b.apply(add(2, 2, 'S', 10, 2000));
  b.apply(trade(1, 5, 1001));
  b.mark_unknown(1);
  EXPECT_TRUE(b.instrument(1)->book_unknown);
  EXPECT_FALSE(b.instrument(2)->book_unknown);
  RefValue v;
  ASSERT_TRUE(f.refs.read(1, v));
  EXPECT_EQ(v.flags & kRefBookUnknown, kRefBookUnknown);
  EXPECT_EQ(v.bid_price, 1000u);  // still the best we know
  b.mark_unknown(3);              // unannounced: nothing happens
  b.mark_all_unknown();
  EXPECT_TRUE(b.instrument(2)->book_unknown);
  b.set_stale(2, true);
  ASSERT_TRUE(f.refs.read(2, v));
  EXPECT_EQ(v.flags & kRefStale, kRefStale);

  b.reset_all();
  EXPECT_EQ(b.live_orders(), 0u);
  for (const uint16_t l : {uint16_t{1}, uint16_t{2}}) {
    const InstrumentState* in = b.instrument(l);
    ASSERT_NE(in, nullptr);  // instruments survive a session start
    EXPECT_FALSE(in->book_unknown);
    EXPECT_FALSE(in->has_last_trade);
    EXPECT_EQ(in->volume, 0u);
    EXPECT_EQ(in->live_orders, 0u);
    EXPECT_FALSE(b.bbo(l).has_bid || b.bbo(l).has_ask);
  }
  EXPECT_TRUE(b.instrument(2)->stale);  // feed health is the writer's, not the session's
  ASSERT_TRUE(f.refs.read(1, v));
  EXPECT_EQ(v.flags, kRefNoBid | kRefNoAsk | kRefNoTrade);
  EXPECT_TRUE(b.check_invariants());
  // References from the previous session may be used again.
  EXPECT_EQ(b.apply(add(1, 1, 'S', 10, 1000)), ApplyResult::applied);
  EXPECT_EQ(b.apply(add(2, 2, 'B', 10, 2000)), ApplyResult::applied);
  EXPECT_TRUE(b.check_invariants());
}

TEST(OrderBook, PublishesOnlyWhenTopOrLastTradeChanges) {
  Fixture f;
  OrderBook& b = f.book;
  RefValue v;
  ASSERT_TRUE(f.refs.read(1, v));
  EXPECT_EQ(v.flags, kRefNoBid | kRefNoAsk | kRefNoTrade);
  const uint64_t v0 = f.refs.version(1);

  b.apply(add(1, 1, 'B', 100, 1000, 111));
  EXPECT_EQ(f.refs.version(1), v0 + 1);
  ASSERT_TRUE(f.refs.read(1, v));
  EXPECT_EQ(v.bid_price, 1000u);
  EXPECT_EQ(v.bid_shares, 100u);
  EXPECT_EQ(v.flags, kRefNoAsk | kRefNoTrade);
  EXPECT_EQ(v.exchange_ns, 111u);
  EXPECT_EQ(v.rx_ns, 1111u);

  b.apply(add(1, 2, 'B', 100, 990, 222));  // behind the best: nothing a reader sees changes
  EXPECT_EQ(f.refs.version(1), v0 + 1);
  b.apply(add(1, 3, 'S', 50, 1010, 333));
  b.apply(exec(1, 1, 40, 444));
  ASSERT_TRUE(f.refs.read(1, v));
  EXPECT_EQ(v.bid_shares, 60u);
  EXPECT_EQ(v.ask_price, 1010u);
  EXPECT_EQ(v.last_price, 1000u);
  EXPECT_EQ(v.flags, 0u);
  EXPECT_EQ(v.exchange_ns, 444u);
  EXPECT_EQ(mid(v), std::optional<uint32_t>(1005u));
  EXPECT_EQ(v, b.reference_value(1));
  const uint64_t v1 = f.refs.version(1);
  b.apply(del(1, 1));  // the best bid empties: the next level shows
  ASSERT_TRUE(f.refs.read(1, v));
  EXPECT_EQ(v.bid_price, 990u);
  EXPECT_EQ(f.refs.version(1), v1 + 1);
  EXPECT_EQ(f.refs.version(2), 1u);  // only add_instrument
}

TEST(ReferencePrices, MidAndBounds) {
  RefValue v;
  EXPECT_FALSE(mid(v).has_value());
  v.flags = kRefNoAsk;
  v.bid_price = 100;
  EXPECT_FALSE(mid(v).has_value());
  v.flags = kRefBookUnknown;  // mid does not judge usability
  v.ask_price = 103;
  EXPECT_EQ(mid(v), std::optional<uint32_t>(101u));
  v.bid_price = 0xffffffffu;
  v.ask_price = 0xffffffffu;
  EXPECT_EQ(mid(v), std::optional<uint32_t>(0xffffffffu));  // no overflow

  ReferencePrices refs(4);
  EXPECT_FALSE(refs.read(4, v));
  refs.publish(4, v);  // ignored
  EXPECT_EQ(refs.version(4), 0u);
  refs.publish(3, v);
  RefValue out;
  ASSERT_TRUE(refs.read(3, out));
  EXPECT_EQ(out, v);
  EXPECT_EQ(refs.version(3), 1u);
  EXPECT_THROW((OrderBook{kCap, &refs}), std::invalid_argument);  // fewer slots than locates
  EXPECT_THROW((OrderBook{BookCapacity{1, 0, 1}}), std::invalid_argument);
}

// ---------------------------------------------------------------------------------------------
// Hash table churn: many deletes in long probe runs exercise the backward shift (including
// runs that wrap past the end of the table).

TEST(OrderBook, HashChurnKeepsEveryOrderReachable) {
  OrderBook b(BookCapacity{2, 512, 4096});
  b.add_instrument(1, make_symbol("A"));
  std::mt19937_64 rng(7);
  std::vector<uint64_t> live;
  std::unordered_map<uint64_t, uint32_t> shares;
  for (int step = 0; step < 200000; ++step) {
    if (live.size() < 500 && (live.empty() || rng() % 2 == 0)) {
      // Clustered references: consecutive runs and multiples of the table size.
      const uint64_t ref =
          (rng() % 4 == 0) ? (rng() % 64) * b.order_table_slots() + 1 : 1 + rng() % 4000;
      const uint32_t q = 1 + static_cast<uint32_t>(rng() % 100);
      const ApplyResult r = b.apply(add(1, ref, 'B', q, 1000 + static_cast<uint32_t>(rng() % 8)));
      if (shares.count(ref) != 0) {
        ASSERT_EQ(r, ApplyResult::duplicate_order);
      } else {
        ASSERT_EQ(r, ApplyResult::applied);
        live.push_back(ref);
        shares[ref] = q;
      }
    } else {
      const size_t k = rng() % live.size();
      const uint64_t ref = live[k];
      live[k] = live.back();
      live.pop_back();
      shares.erase(ref);
      ASSERT_EQ(b.apply(del(1, ref)), ApplyResult::applied);
    }
    if (step % 5000 == 0) {
      ASSERT_TRUE(b.check_invariants());
      for (const auto& [ref, q] : shares) ASSERT_EQ(b.order(ref)->shares, q);
    }
  }
  ASSERT_TRUE(b.check_invariants());
  EXPECT_EQ(b.live_orders(), live.size());
}

// ---------------------------------------------------------------------------------------------
// Randomized differential test against a naive model.

struct Model {
  struct Order {
    uint16_t locate;
    char side;
    uint32_t shares;
    uint32_t price;
  };
  struct Inst {
    std::map<uint32_t, Level> side[2];  // price -> aggregate
    bool has_last = false;
    uint32_t last = 0;
    uint64_t volume = 0;
    bool unknown = false;
  };
  BookCapacity cap;
  std::unordered_map<uint64_t, Order> orders;
  std::vector<Inst> inst;

  explicit Model(const BookCapacity& c) : cap(c), inst(c.max_instruments + 1) {}

  static int sidx(char s) { return s == 'B' ? 0 : 1; }
  void level_add(const Order& o) {
    Level& l = inst[o.locate].side[sidx(o.side)][o.price];
    l.price = o.price;
    l.shares += o.shares;
    ++l.orders;
  }
  void level_sub(const Order& o, uint32_t q, bool last) {
    auto& m = inst[o.locate].side[sidx(o.side)];
    Level& l = m.at(o.price);
    l.shares -= q;
    if (last && --l.orders == 0) m.erase(o.price);
  }
  bool room(uint16_t loc, char side, uint32_t price) const {
    const auto& m = inst[loc].side[sidx(side)];
    return m.size() < cap.max_levels_per_side || m.count(price) != 0;
  }
  ApplyResult apply(const CanonicalRecord& r) {
    const uint16_t loc = r.locate;
    switch (r.kind) {
      case CanonicalKind::add: {
        if (orders.count(r.order_ref) != 0) return err(loc, ApplyResult::duplicate_order);
        const char side = static_cast<char>(r.side);
        if (orders.size() >= cap.max_orders || !room(loc, side, r.price)) {
          return err(loc, ApplyResult::capacity);
        }
        const Order o{loc, side, r.shares, r.price};
        orders[r.order_ref] = o;
        level_add(o);
        return ApplyResult::applied;
      }
      case CanonicalKind::execute:
      case CanonicalKind::execute_price:
      case CanonicalKind::cancel: {
        auto it = orders.find(r.order_ref);
        if (it == orders.end() || it->second.locate != loc) {
          return err(loc, ApplyResult::unknown_order);
        }
        Order& o = it->second;
        const uint32_t order_price = o.price;
        ApplyResult res = ApplyResult::applied;
        uint32_t q = r.shares;
        if (q > o.shares) {
          q = o.shares;
          res = err(loc, ApplyResult::overfill);
        }
        level_sub(o, q, q == o.shares);
        o.shares -= q;
        if (o.shares == 0) orders.erase(it);
        Inst& in = inst[loc];
        if (r.kind == CanonicalKind::execute) {
          in.has_last = true;
          in.last = order_price;
          in.volume += r.shares;
        } else if (r.kind == CanonicalKind::execute_price && r.code == 'Y') {
          in.has_last = true;
          in.last = r.price;
          in.volume += r.shares;
        }
        return res;
      }
      case CanonicalKind::delete_order: {
        auto it = orders.find(r.order_ref);
        if (it == orders.end() || it->second.locate != loc) {
          return err(loc, ApplyResult::unknown_order);
        }
        level_sub(it->second, it->second.shares, true);
        orders.erase(it);
        return ApplyResult::applied;
      }
      case CanonicalKind::replace: {
        auto it = orders.find(r.order_ref);
        if (it == orders.end() || it->second.locate != loc) {
          return err(loc, ApplyResult::unknown_order);
        }
        if (r.new_order_ref != r.order_ref && orders.count(r.new_order_ref) != 0) {
          return err(loc, ApplyResult::duplicate_order);
        }
        const Order old = it->second;
        level_sub(old, old.shares, true);
        orders.erase(it);
        if (!room(loc, old.side, r.price)) return err(loc, ApplyResult::capacity);
        const Order o{loc, old.side, r.shares, r.price};
        orders[r.new_order_ref] = o;
        level_add(o);
        return ApplyResult::applied;
      }
      case CanonicalKind::trade: {
        Inst& in = inst[loc];
        in.has_last = true;
        in.last = r.price;
        in.volume += r.shares;
        return ApplyResult::applied;
      }
      default:
        return ApplyResult::ignored;
    }
  }
  ApplyResult err(uint16_t loc, ApplyResult r) {
    inst[loc].unknown = true;
    return r;
  }
  std::vector<Level> depth(uint16_t loc, int s) const {
    std::vector<Level> out;
    const auto& m = inst[loc].side[s];
    if (s == 0) {
      for (auto it = m.rbegin(); it != m.rend(); ++it) out.push_back(it->second);
    } else {
      for (const auto& [p, l] : m) out.push_back(l);
    }
    return out;
  }
};

struct DiffParams {
  BookCapacity cap;
  uint16_t instruments;
  uint32_t price_span;  // distinct prices per instrument
  size_t target_live;   // the generator leans towards deleting above this
  int steps;
  uint64_t seed;
  int error_permille;  // share of deliberately bad records (unknown refs, overfills, dups)
};

void run_differential(const DiffParams& p) {
  ReferencePrices refs(p.cap.max_instruments + 1);
  OrderBook book(p.cap, &refs);
  Model model(p.cap);
  for (uint16_t l = 1; l <= p.instruments; ++l) book.add_instrument(l, make_symbol("S"));

  std::mt19937_64 rng(p.seed);
  auto uni = [&](uint64_t n) { return rng() % n; };
  std::vector<uint64_t> refs_in_model;  // references maybe live (lazily pruned)
  uint64_t next_ref = 1;
  std::array<uint64_t, kApplyResultCount> seen{};

  for (int step = 0; step < p.steps; ++step) {
    const uint16_t loc = static_cast<uint16_t>(1 + uni(p.instruments));
    const uint32_t base = 10000u * loc;
    auto rand_price = [&] { return base + 100u * static_cast<uint32_t>(uni(p.price_span)); };
    auto rand_qty = [&] { return 1u + static_cast<uint32_t>(uni(500)); };
    // Pick a live order of this instrument, if any (a few tries over the candidate list).
    auto pick = [&]() -> uint64_t {
      for (int t = 0; t < 8 && !refs_in_model.empty(); ++t) {
        const size_t k = uni(refs_in_model.size());
        const uint64_t ref = refs_in_model[k];
        auto it = model.orders.find(ref);
        if (it == model.orders.end()) {
          refs_in_model[k] = refs_in_model.back();
          refs_in_model.pop_back();
          continue;
        }
        if (it->second.locate == loc) return ref;
      }
      return 0;
    };

    CanonicalRecord r{};
    const bool bad = static_cast<int>(uni(1000)) < p.error_permille;
    const bool grow = model.orders.size() < p.target_live;
    const uint64_t op = uni(100);
    const uint64_t ns = 34200000000000ull + static_cast<uint64_t>(step) * 1000;
    uint64_t victim = pick();
    if (victim == 0 || (grow && op < 45) || (!grow && op < 20)) {
      const uint64_t ref = bad && next_ref > 1 ? 1 + uni(next_ref - 1) : next_ref++;
      r = add(loc, ref, uni(2) ? 'B' : 'S', rand_qty(), rand_price(), ns);
    } else {
      const uint32_t have = model.orders.at(victim).shares;
      if (bad && uni(2) == 0) victim = next_ref + 1000000 + uni(10);  // never added
      const uint32_t partial = have > 1 ? 1 + static_cast<uint32_t>(uni(have - 1)) : 1;
      const uint32_t q =
          bad ? have + 1 + static_cast<uint32_t>(uni(5)) : (uni(3) == 0 ? have : partial);
      switch (uni(7)) {
        case 0:
          r = exec(loc, victim, q, ns);
          break;
        case 1:
          r = exec_price(loc, victim, q, rand_price(), uni(2) == 0, ns);
          break;
        case 2:
          r = cancel(loc, victim, q);
          break;
        case 3:
          r = del(loc, victim);
          break;
        case 4:
        case 5: {
          // Replace: mostly a fresh reference, sometimes (bad) a live one.
          const uint64_t nref = bad && next_ref > 1 ? 1 + uni(next_ref - 1) : next_ref++;
          r = replace(loc, victim, nref, rand_qty(), rand_price());
          break;
        }
        default:
          r = trade(loc, rand_qty(), rand_price(), ns);
          break;
      }
    }
    r.exchange_ns = ns;

    const ApplyResult want = model.apply(r);
    const ApplyResult got = book.apply(r);
    ASSERT_EQ(got, want) << "step " << step << " kind " << int(r.kind) << " ref " << r.order_ref;
    ++seen[static_cast<size_t>(got)];
    if (r.kind == CanonicalKind::add && got == ApplyResult::applied) {
      refs_in_model.push_back(r.order_ref);
    }
    if (r.kind == CanonicalKind::replace && got == ApplyResult::applied) {
      refs_in_model.push_back(r.new_order_ref);
    }

    // Compare the touched instrument fully: depth on both sides, BBO, last trade, flags and the
    // published reference value.
    const Model::Inst& mi = model.inst[loc];
    const InstrumentState* in = book.instrument(loc);
    ASSERT_NE(in, nullptr);
    const std::vector<Level> bids = model.depth(loc, 0), asks = model.depth(loc, 1);
    ASSERT_EQ(book.levels(loc, Side::bid, p.cap.max_levels_per_side + 1), bids) << "step " << step;
    ASSERT_EQ(book.levels(loc, Side::ask, p.cap.max_levels_per_side + 1), asks) << "step " << step;
    const Bbo bbo = book.bbo(loc);
    ASSERT_EQ(bbo.has_bid, !bids.empty());
    ASSERT_EQ(bbo.has_ask, !asks.empty());
    if (!bids.empty()) {
      ASSERT_EQ(bbo.bid, bids.front());
    }
    if (!asks.empty()) {
      ASSERT_EQ(bbo.ask, asks.front());
    }
    ASSERT_EQ(in->has_last_trade, mi.has_last);
    ASSERT_EQ(in->last_price, mi.last);
    ASSERT_EQ(in->volume, mi.volume);
    ASSERT_EQ(in->book_unknown, mi.unknown);
    ASSERT_EQ(book.live_orders(), model.orders.size());

    RefValue v;
    ASSERT_TRUE(refs.read(loc, v));
    ASSERT_EQ(v.bid_price, bids.empty() ? 0 : bids.front().price);
    ASSERT_EQ(v.bid_shares, bids.empty() ? 0 : bids.front().shares);
    ASSERT_EQ(v.ask_price, asks.empty() ? 0 : asks.front().price);
    ASSERT_EQ(v.ask_shares, asks.empty() ? 0 : asks.front().shares);
    ASSERT_EQ(v.last_price, mi.last);
    const uint32_t flags = (bids.empty() ? kRefNoBid : 0) | (asks.empty() ? kRefNoAsk : 0) |
                           (mi.has_last ? 0 : kRefNoTrade) | (mi.unknown ? kRefBookUnknown : 0);
    ASSERT_EQ(v.flags, flags);

    if (step % 2000 == 0) {
      ASSERT_TRUE(book.check_invariants()) << "step " << step;
    }
  }
  ASSERT_TRUE(book.check_invariants());
  for (size_t i = 0; i < kApplyResultCount; ++i) {
    EXPECT_EQ(book.count(static_cast<ApplyResult>(i)), seen[i]);
  }
  // The sequence must actually have exercised the paths it is meant to.
  EXPECT_GT(seen[static_cast<size_t>(ApplyResult::applied)], static_cast<uint64_t>(p.steps / 2));
  if (p.error_permille > 0) {
    EXPECT_GT(seen[static_cast<size_t>(ApplyResult::unknown_order)], 0u);
    EXPECT_GT(seen[static_cast<size_t>(ApplyResult::overfill)], 0u);
    EXPECT_GT(seen[static_cast<size_t>(ApplyResult::duplicate_order)], 0u);
  }
}

TEST(OrderBookDifferential, ValidSequence) {
  // Roomy capacities, only valid records: the book must match the model exactly.
  run_differential({BookCapacity{4, 8192, 64}, 4, 40, 1500, 60000, 0x5eed, 0});
}

TEST(OrderBookDifferential, TightCapacitiesAndBadRecords) {
  // Tables that fill up, and a share of unknown references, overfills and duplicates: results,
  // book and flags must still match the model step by step.
  run_differential({BookCapacity{3, 200, 6}, 3, 12, 400, 60000, 0xfeed, 20});
}

// ---------------------------------------------------------------------------------------------
// Seqlock under concurrency: every field of a published value is derived from one counter, so a
// read mixing two updates is detected. (Checked to fail when the writer's odd-sequence store is
// removed from ReferencePrices::publish.)

RefValue derived(uint64_t n) {
  RefValue v;
  v.bid_price = static_cast<uint32_t>(n);
  v.ask_price = static_cast<uint32_t>(n * 3 + 1);
  v.bid_shares = n * 5;
  v.ask_shares = ~n;
  v.last_price = static_cast<uint32_t>(n >> 7) ^ 0xa5a5a5a5u;
  v.flags = static_cast<uint32_t>(n * 2654435761u);
  v.exchange_ns = n;
  v.rx_ns = n * 0x9e3779b97f4a7c15ull;
  return v;
}

TEST(ReferencePrices, ConcurrentReadersNeverSeeATornValue) {
  constexpr size_t kLocates = 3;
  ReferencePrices refs(kLocates);
  for (size_t l = 0; l < kLocates; ++l) refs.publish(l, derived(1));

  std::atomic<bool> stop{false};
  std::atomic<uint64_t> torn{0}, backwards{0}, ok_reads{0}, busy{0};
  const unsigned readers = std::max(2u, std::min(4u, std::thread::hardware_concurrency()));
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < readers; ++t) {
    threads.emplace_back([&, t] {
      uint64_t last_n[kLocates] = {};
      uint64_t local_ok = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        const size_t l = (t + local_ok) % kLocates;
        RefValue v;
        if (!refs.read(l, v, 16)) {
          busy.fetch_add(1, std::memory_order_relaxed);
          continue;
        }
        ++local_ok;
        if (!(v == derived(v.exchange_ns))) torn.fetch_add(1, std::memory_order_relaxed);
        if (v.exchange_ns < last_n[l]) backwards.fetch_add(1, std::memory_order_relaxed);
        last_n[l] = v.exchange_ns;
      }
      ok_reads.fetch_add(local_ok, std::memory_order_relaxed);
    });
  }

  // The writer: bounded both in updates and in time (sanitizer builds are much slower).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(700);
  uint64_t n = 2;
  for (; n < 20'000'000; ++n) {
    refs.publish(n % kLocates, derived(n));
    if ((n & 0xfff) == 0 && std::chrono::steady_clock::now() > deadline) break;
  }
  stop.store(true);
  for (auto& th : threads) th.join();

  EXPECT_EQ(torn.load(), 0u);
  EXPECT_EQ(backwards.load(), 0u);
  EXPECT_GT(ok_reads.load(), 0u);
  RefValue v;
  ASSERT_TRUE(refs.read((n - 1) % kLocates, v));  // quiescent: the last value, whole
  EXPECT_EQ(v, derived(n - 1));
  std::printf("seqlock: %llu updates, %llu consistent reads, %llu gave up, %u readers\n",
              static_cast<unsigned long long>(n), static_cast<unsigned long long>(ok_reads.load()),
              static_cast<unsigned long long>(busy.load()), readers);
}

}  // namespace
}  // namespace sy::book
