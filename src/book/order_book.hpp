// Market-by-order book for every instrument of one ITCH 5.0 feed, built from canonical records.
//
// Owned and driven by the integrity lcore, on its hot path. Hence:
// * every byte is allocated in the constructor from a capacity config (instruments, live orders,
//   price levels per side per instrument); apply() never allocates, locks, throws or calls the
//   kernel;
// * anything the book cannot represent (full tables, an order it does not know, an overfill) is
//   counted and reported through ApplyResult, never asserted on: a feed is outside input.
//
// Semantics follow docs/protocols.md §2.5: A/F add; E/C execute, X cancel (remove at zero);
// D delete; U replace (new reference, shares and price; side and locate of the original; time
// priority lost); P and Q print trades without touching the book; B and everything else leave it
// alone. Optionally publishes top of book and last trade into a ReferencePrices on every change.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "src/book/reference_prices.hpp"
#include "src/common/canonical_record.hpp"
#include "src/common/counter.hpp"

namespace sy::book {

// ITCH alpha symbol: 8 bytes, left-justified, space padded, never NUL-terminated.
using Symbol = std::array<char, 8>;
Symbol make_symbol(std::string_view s);  // pads with spaces, truncates past 8

enum class Side : uint8_t { bid = 0, ask = 1 };

enum class ApplyResult : uint8_t {
  applied = 0,         // the book (or the instrument's trade statistics) took the record
  unknown_order,       // E C X D U for an order the book does not hold: book unchanged
  overfill,            // E C X for more shares than the order has: clamped to zero and removed
  capacity,            // order table or the side's price levels full: the order is missing
  unknown_instrument,  // locate 0, beyond capacity, or never announced (R / add_instrument)
  duplicate_order,     // A F (or U's new reference) for a reference already live: unchanged
  invalid,             // malformed record: side not B/S, zero shares on A F U
  ignored,             // not a book message (S H B R-less kinds, other)
};
inline constexpr size_t kApplyResultCount = 8;
const char* to_string(ApplyResult r);

struct BookCapacity {
  uint16_t max_instruments = 0;      // stock locates 1 .. max_instruments
  uint32_t max_orders = 0;           // live orders, all instruments together
  uint32_t max_levels_per_side = 0;  // distinct prices per side per instrument
};

struct BookOptions {
  // A capacity, unknown-order, overfill or duplicate result means this book no longer matches the
  // exchange's, so its instrument is marked book_unknown until the next reset_all().
  bool mark_unknown_on_error = true;
  // An add for an in-range locate that no R record announced creates the instrument (blank
  // symbol) instead of being refused: for feeds joined after the directory spin.
  bool implicit_instruments = false;
};

// One price level, aggregated over its orders.
struct Level {
  uint32_t price = 0;   // Price(4)
  uint32_t orders = 0;  // live orders at this price
  uint64_t shares = 0;  // sum of their displayed shares
  friend bool operator==(const Level&, const Level&) = default;
};
static_assert(sizeof(Level) == 16);

struct Bbo {
  bool has_bid = false;
  bool has_ask = false;
  Level bid;  // zero when !has_bid
  Level ask;
};

// Per-instrument state, read through OrderBook::instrument().
struct InstrumentState {
  Symbol symbol{};
  bool known = false;
  bool book_unknown = false;
  bool stale = false;
  bool has_last_trade = false;
  uint32_t last_price = 0;     // Price(4) of the last printable trade
  uint64_t last_trade_ns = 0;  // its ITCH timestamp
  uint64_t volume = 0;         // shares: E, printable C, P, Q
  uint32_t live_orders = 0;
  uint32_t level_count[2] = {0, 0};  // by Side
  // Times of the record that last changed the published value (kept when publishing only).
  uint64_t update_exchange_ns = 0;
  uint64_t update_rx_ns = 0;
};

struct OrderView {
  uint64_t ref = 0;
  uint16_t locate = 0;
  Side side = Side::bid;
  uint32_t shares = 0;
  uint32_t price = 0;
};

class OrderBook {
 public:
  // Allocates everything. Throws std::invalid_argument on a zero capacity, or when `refs` has
  // fewer than max_instruments + 1 slots. `refs` (optional) must outlive the book.
  explicit OrderBook(const BookCapacity& cap, ReferencePrices* refs = nullptr,
                     const BookOptions& opts = {});
  OrderBook(const OrderBook&) = delete;
  OrderBook& operator=(const OrderBook&) = delete;

  // The hot path. `symbol` is used by directory (R) records only; without it a directory record
  // registers the locate with a blank symbol. Every call increments one result counter.
  ApplyResult apply(const CanonicalRecord& rec);
  ApplyResult apply(const CanonicalRecord& rec, const Symbol& symbol);

  // Announce an instrument (re-announcing updates the symbol and keeps the book). False when
  // the locate is 0 or beyond capacity.
  bool add_instrument(uint16_t locate, const Symbol& symbol);

  // The book no longer reflects the exchange's (lost messages, mid-session join). Cleared only
  // by reset_all().
  void mark_unknown(uint16_t locate);
  void mark_all_unknown();
  // Session start: empties every order and level, clears last trade, volume and book_unknown.
  // Instruments (and their stale flags) are kept; the day's R records re-announce them. Touches
  // the whole order table: not for the per-message path.
  void reset_all();
  // The writer's statement that the feed has gone quiet (published as kRefStale).
  void set_stale(uint16_t locate, bool stale);
  void set_all_stale(bool stale);

  // Queries (any time on the owning thread; tests and reports).
  const InstrumentState* instrument(uint16_t locate) const;  // nullptr unless known
  Bbo bbo(uint16_t locate) const;
  // Up to out.size() levels of one side, best first; returns how many were written.
  size_t levels(uint16_t locate, Side side, std::span<Level> out) const;
  std::vector<Level> levels(uint16_t locate, Side side, size_t k) const;  // allocates
  std::optional<OrderView> order(uint64_t ref) const;
  // The value published (or that would be published) for an instrument.
  RefValue reference_value(uint16_t locate) const;

  uint64_t count(ApplyResult r) const { return counters_[static_cast<size_t>(r)].get(); }
  size_t live_orders() const { return live_; }
  const BookCapacity& capacity() const { return cap_; }
  size_t order_table_slots() const { return table_.size(); }
  size_t memory_bytes() const;

  // Full consistency check, O(orders + levels) and allocating: every level's aggregate equals
  // the sum of its orders, levels strictly sorted, hash probe chains intact, counts agree.
  bool check_invariants() const;

 private:
  // Open-addressing slot; locate 0 marks it empty (no instrument has locate 0).
  struct OrderSlot {
    uint64_t ref;
    uint32_t shares;
    uint32_t price;
    uint16_t locate;
    uint8_t side;  // Side
  };
  static_assert(sizeof(OrderSlot) == 24);
  static constexpr size_t kNotFound = ~size_t{0};

  struct LevelPos {
    uint32_t pos;
    bool found;
  };

  size_t home(uint64_t ref) const;
  size_t find_order(uint64_t ref) const;
  void erase_slot(size_t i);
  size_t insert_slot(const OrderSlot& o);

  Level* side_levels(uint16_t locate, Side s);
  const Level* side_levels(uint16_t locate, Side s) const;
  LevelPos find_level(uint16_t locate, Side s, uint32_t price) const;
  bool level_room(uint16_t locate, Side s, uint32_t price) const;
  void level_add(uint16_t locate, Side s, uint32_t price, uint32_t shares);
  void level_reduce(uint16_t locate, Side s, uint32_t price, uint32_t shares, bool last);

  InstrumentState* known_instrument(uint16_t locate);
  ApplyResult dispatch(const CanonicalRecord& rec, const Symbol* symbol);
  ApplyResult on_add(const CanonicalRecord& rec);
  ApplyResult on_reduce(const CanonicalRecord& rec);
  ApplyResult on_delete(const CanonicalRecord& rec);
  ApplyResult on_replace(const CanonicalRecord& rec);
  ApplyResult on_trade(const CanonicalRecord& rec);
  void remove_order(size_t slot);
  void record_trade(InstrumentState& in, uint32_t price, uint64_t shares, uint64_t ns);
  void on_error(uint16_t locate);  // see BookOptions::mark_unknown_on_error
  void publish(uint16_t locate);

  BookCapacity cap_;
  BookOptions opts_;
  ReferencePrices* refs_;
  std::vector<InstrumentState> instruments_;  // indexed by locate; [0] unused
  std::vector<Level> levels_;     // per (locate-1, side): max_levels_per_side levels, worst .. best
  std::vector<OrderSlot> table_;  // power of two, at most half full
  size_t mask_ = 0;
  size_t live_ = 0;
  std::array<Counter, kApplyResultCount> counters_;
};

}  // namespace sy::book
