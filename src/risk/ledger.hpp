// The fills ledger: every token seen today, the open orders, and positions and exposure per
// (account, instrument) and per account, kept by the execution lcore alone.
//
// Tables are fixed-capacity and allocated at construction; the per-order path never allocates.
//
// * Orders: open addressing on (session, token), 16 bytes compared as two words. Tokens are
//   day-unique (OUCH), so entries are never deleted: a closed order keeps its token consumed,
//   as does a rejected one. No tombstones, and a probe ends at the first empty slot. The table
//   is never filled above kMaxLoad; past that, new tokens are refused (the gate rejects).
// * Open orders also sit on an intrusive doubly linked list, so enumerating them (views,
//   EMERGENCY_STOP mass cancel) costs O(open), not O(capacity).
// * Positions: open addressing on (account, symbol), never deleted within the day.
// * Fills: the last `Capacity::fills` executions in a ring, indexed by the venue's match number
//   (open addressing, backward-shift deletion when the ring overwrites its oldest), so that a
//   Broken Trade, Trade Correction or Price Correction can undo or redo exactly what its
//   execution booked. A correction of a fill the ring no longer holds is counted, not booked.
//
// Accounting. Each open order "reserves" shares on its side and notional (remaining x limit
// price) in its position; a pending replacement reserves only what it would add over the
// order it replaces (the pair is counted at max(old, new) until the venue answers), and a
// Modify the gate let through to a larger size reserves that size until Order Modified. Per
// position: worst-case shares = max(|net + open_buy|, |net - open_sell|) (every open order on
// one side executed); gross exposure = |net| x last execution price + open notional. Account
// totals are sums of their positions' values, kept by applying each change's delta.
// A break or correction changes only the position's bought/sold figures (and so its exposure):
// the venue does not reopen the order, so its remaining and executed shares stay.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>

#include "src/common/safety.hpp"
#include "src/risk/order_intent.hpp"

namespace sy::risk {

inline constexpr uint32_t kNoSlot = UINT32_MAX;

enum class OrderState : uint8_t {
  empty = 0,        // free slot
  pending_new,      // sent to the venue, not yet accepted
  live,             // accepted by the venue
  pending_replace,  // a replacement token sent, the venue has not answered
  closed,           // executed, cancelled, rejected or replaced: the token stays consumed
};
const char* to_string(OrderState s);

struct OrderEntry {
  uint64_t key_lo = 0;  // session + token bytes 0..5
  uint64_t key_hi = 0;  // token bytes 6..13
  uint64_t symbol = 0;
  uint64_t reserved_notional = 0;
  uint32_t reserved_shares = 0;
  uint32_t remaining = 0;     // shares still open at the venue
  uint32_t executed = 0;      // shares executed on this order and its replace chain
  uint32_t chain_total = 0;   // pending_replace: OUCH Replace shares (whole chain)
  uint32_t modify_total = 0;  // a larger size passed in a Modify (whole chain, OUCH), until
                              // the venue's Order Modified; 0 when none is pending
  uint32_t price = 0;         // limit price, Price(4)
  uint32_t position = kNoSlot;
  uint32_t prev_open = kNoSlot;  // open list
  uint32_t next_open = kNoSlot;
  uint32_t link = kNoSlot;  // the other half of a pending replace
  uint16_t session = 0;
  uint16_t locate = 0;
  uint8_t account = 0;
  Side side = Side::buy;
  OrderState state = OrderState::empty;
  uint8_t pad = 0;

  OrderToken token() const {
    OrderToken t;
    std::memcpy(t.data(), reinterpret_cast<const char*>(&key_lo) + 2, 6);
    std::memcpy(t.data() + 6, &key_hi, 8);
    return t;
  }
};

struct Position {
  uint64_t symbol = 0;
  int64_t net_shares = 0;  // bought - sold
  uint64_t open_buy_shares = 0;
  uint64_t open_sell_shares = 0;
  uint64_t open_notional = 0;  // notional units
  uint64_t bought_shares = 0;
  uint64_t sold_shares = 0;
  uint64_t bought_notional = 0;
  uint64_t sold_notional = 0;
  uint64_t worst_shares = 0;  // contribution to the account's position total
  uint64_t exposure = 0;      // contribution to the account's exposure total
  uint32_t mark_price = 0;    // last execution price
  uint16_t locate = 0;
  uint8_t account = 0;
  bool used = false;
};

// One execution as booked, kept for breaks and corrections.
struct Fill {
  uint64_t match = 0;           // the venue's match number
  uint32_t order = kNoSlot;     // order slot; kNoSlot: an earlier run's order (carried)
  uint32_t position = kNoSlot;  // position slot (its account and symbol)
  uint32_t shares = 0;          // as booked (a correction rewrites shares and price)
  uint32_t price = 0;
  Side side = Side::buy;
  bool broken = false;
};

struct AccountTotals {
  uint64_t open_orders = 0;
  uint64_t worst_shares = 0;  // sum of positions' worst_shares
  uint64_t exposure = 0;      // sum of positions' exposure, notional units
  uint64_t executed_shares = 0;
  uint64_t executed_notional = 0;
};

// A venue response, protocol-neutral (the session layer maps OUCH Accepted, Replaced,
// Executed, Canceled and Rejected to these, and the venue's tokens back to the client's).
struct VenueEvent {
  enum class Kind : uint8_t {
    accepted,
    replaced,
    executed,
    canceled,
    rejected,
    broken,           // Broken Trade: the execution `match` is void
    trade_corrected,  // Trade Correction: `match` now has `shares` at `price`
    price_corrected,  // Price Correction: `match` now has `price`
    modified,         // Order Modified: `side` and `shares` open now
  };
  Kind kind = Kind::accepted;
  bool dead = false;  // accepted/replaced with OUCH order state D: closed at once
  uint16_t session = 0;
  OrderToken token{};     // the order (replaced: the new token)
  OrderToken previous{};  // replaced: the token it replaced
  // accepted/replaced/modified: open shares; executed: executed; canceled: decrement
  uint32_t shares = 0;
  uint32_t price = 0;     // accepted/replaced: limit; executed: execution price
  uint64_t match = 0;     // executed and the corrections: the venue's match number
  Side side = Side::buy;  // modified: the order's side now
};

enum class ApplyResult : uint8_t {
  applied,
  unknown_order,  // no such token, or not in a state that event applies to
  overfill,       // executed/canceled more than was open: clamped, counted
  unknown_match,  // a break or correction of a fill not held (too old, already broken, or
                  // not this order's)
};
inline constexpr size_t kApplyResultCount = 4;
const char* to_string(ApplyResult r);

class Ledger {
 public:
  struct Capacity {
    uint32_t orders = 1u << 18;     // day-unique tokens (all sessions), incl. rejected ones
    uint32_t positions = 1u << 14;  // (account, instrument) pairs traded today
    uint32_t fills = 1u << 18;      // executions remembered for breaks and corrections
  };
  static constexpr double kMaxLoad = 0.75;

  explicit Ledger(Capacity capacity);
  Ledger(const Ledger&) = delete;
  Ledger& operator=(const Ledger&) = delete;

  // --- lookups (hot path) ----------------------------------------------------------------
  uint32_t find(uint16_t session, const OrderToken& token) const;
  const OrderEntry& order(uint32_t slot) const { return orders_[slot]; }
  bool orders_full() const { return order_count_ >= order_limit_; }
  uint32_t order_count() const { return order_count_; }
  uint32_t order_limit() const { return order_limit_; }
  // The position slot of (account, symbol), kNoSlot when never traded.
  uint32_t find_position(uint8_t account, uint64_t symbol) const;
  const Position& position(uint32_t slot) const { return positions_[slot]; }
  bool positions_full() const { return position_count_ >= position_limit_; }
  uint32_t position_count() const { return position_count_; }
  uint32_t position_limit() const { return position_limit_; }
  uint32_t position_capacity() const { return position_capacity_; }  // slots, used or not
  uint32_t order_capacity() const { return order_capacity_; }        // slots, used or not
  const AccountTotals& account(uint8_t a) const { return accounts_[a]; }
  // The fill booked under `match`, nullptr when the ring no longer (or never) held it.
  const Fill* find_fill(uint64_t match) const;
  uint64_t fills_booked() const { return fills_written_; }
  uint32_t fill_capacity() const { return fill_capacity_; }

  // --- updates from the gate ---------------------------------------------------------------
  // A new order the gate let through: pending_new, reserves shares x price. kNoSlot when a
  // table is full (the gate checks first, so that is a bug).
  uint32_t add_order(const OrderIntent& in);
  // A replace the gate let through: the replacement token pending, linked to `existing`.
  uint32_t add_replace(const OrderIntent& in, uint32_t existing);
  // A Modify the gate let through that raises an open order's size to `chain_total` shares
  // (executed included): reserved at once, until the venue's Order Modified says what is open.
  void add_modify(uint32_t slot, uint32_t chain_total);
  // A token that was answered with a Rejected: consumed, never open. False when full.
  bool consume_token(uint16_t session, const OrderToken& token);

  // --- updates from the venue --------------------------------------------------------------
  ApplyResult apply(const VenueEvent& ev);
  // An execution of an earlier run's order, replayed by the venue session after a restart:
  // booked into the (account, symbol) position, with no order. unknown_order when the position
  // table is full.
  ApplyResult book_carried(uint8_t account, uint64_t symbol, Side side, uint32_t shares,
                           uint32_t price, uint64_t match);
  // A break or correction of a carried execution (ev.token and ev.session are not used).
  ApplyResult correct_carried(const VenueEvent& ev) { return correct(kNoSlot, ev); }

  // --- what a replace or modify would add (the gate's limit checks use the same numbers) ----
  // Shares and notional that `existing` at (chain_total, price) would reserve over what it
  // reserves now (a Modify keeps the order's price).
  void replace_delta(uint32_t existing, uint32_t chain_total, uint32_t price, uint64_t& shares,
                     uint64_t& notional) const;
  static uint64_t worst_shares(int64_t net, uint64_t open_buy, uint64_t open_sell);

  // --- enumeration (execution lcore, or a copy of it: see snapshot.hpp) ---------------------
  // Visits every open order (pending_new, live, pending_replace) in the order they were opened;
  // returns how many were visited. `fn(slot, const OrderEntry&)`.
  template <typename F>
  size_t for_each_open(F&& fn) const {
    size_t n = 0;
    for (uint32_t s = open_head_; s != kNoSlot; s = orders_[s].next_open, ++n) fn(s, orders_[s]);
    return n;
  }
  // The orders to cancel at the venue when EMERGENCY_STOP is entered: pending_new and live
  // (a pending replacement is cancelled through the order it replaces). `fn(const OrderEntry&)`.
  template <typename F>
  size_t for_each_cancelable(F&& fn) const {
    size_t n = 0;
    for_each_open([&](uint32_t, const OrderEntry& o) {
      if (o.state == OrderState::pending_new || o.state == OrderState::live) {
        fn(o);
        ++n;
      }
    });
    return n;
  }
  template <typename F>
  void for_each_position(F&& fn) const {
    for (uint32_t i = 0; i < position_capacity_; ++i)
      if (positions_[i].used) fn(i, positions_[i]);
  }
  uint32_t open_head() const { return open_head_; }

  // Off the hot path (tests, audits): recomputes every derived number from the order and
  // position entries and returns what disagrees ("" when consistent).
  std::string audit() const;

  // The snapshot builder walks the open list across several lcore iterations; when the entry
  // it stands on closes, the ledger moves it on (snapshot.hpp).
  uint32_t snapshot_cursor = kNoSlot;

 private:
  static uint64_t key_lo_of(uint16_t session, const OrderToken& t) {
    uint64_t lo = session;
    uint64_t bytes = 0;
    std::memcpy(&bytes, t.data(), 6);
    return lo | bytes << 16;
  }
  static uint64_t key_hi_of(const OrderToken& t) {
    uint64_t hi = 0;
    std::memcpy(&hi, t.data() + 6, 8);
    return hi;
  }
  static size_t mix(uint64_t a, uint64_t b) {
    const uint64_t h = (a * 0x9e3779b97f4a7c15ull) ^ (b * 0xc2b2ae3d27d4eb4full);
    return static_cast<size_t>(h ^ (h >> 29));
  }

  uint32_t insert(uint16_t session, const OrderToken& token, OrderState state);
  uint32_t position_slot(uint8_t account, uint64_t symbol, uint16_t locate);
  void link_open(uint32_t slot);
  void unlink_open(uint32_t slot);
  void reserve(uint32_t slot, uint64_t shares, uint64_t notional);
  // Reserves what an open order holds: its remaining shares, or a pending Modify's larger size.
  void reserve_open(uint32_t slot);
  static uint32_t held(const OrderEntry& e) {
    const uint32_t modified = e.modify_total > e.executed ? e.modify_total - e.executed : 0;
    return modified > e.remaining ? modified : e.remaining;
  }
  void refresh(Position& p);
  void close(uint32_t slot);
  void rebalance_replacement(uint32_t existing);
  uint32_t fill_home(uint64_t match) const {
    return static_cast<uint32_t>(mix(match, 0)) & (fill_index_size_ - 1);
  }
  uint32_t find_fill_index(uint64_t match) const;  // slot in fill_index_, kNoSlot if absent
  void record_fill(const Fill& f);
  void forget_oldest_fill();
  // Adds (sign +1) or takes back (sign -1) `shares` at `price` on `side` to a position.
  void book(uint32_t position, Side side, int sign, uint32_t shares, uint32_t price);
  ApplyResult correct(uint32_t slot, const VenueEvent& ev);
  static bool counted(OrderState s) {
    return s == OrderState::pending_new || s == OrderState::live;
  }

  uint32_t order_capacity_;
  uint32_t order_limit_;
  uint32_t order_count_ = 0;
  std::unique_ptr<OrderEntry[]> orders_;
  uint32_t position_capacity_;
  uint32_t position_limit_;
  uint32_t position_count_ = 0;
  std::unique_ptr<Position[]> positions_;
  uint32_t fill_capacity_;    // ring slots, power of two
  uint32_t fill_index_size_;  // 2x the ring: linear probing stays short
  uint64_t fills_written_ = 0;
  std::unique_ptr<Fill[]> fills_;
  std::unique_ptr<uint32_t[]> fill_index_;  // ring positions, kNoSlot when free
  AccountTotals accounts_[kMaxAccounts] = {};
  uint32_t open_head_ = kNoSlot;
  uint32_t open_tail_ = kNoSlot;
};

}  // namespace sy::risk
