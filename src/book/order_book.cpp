#include "src/book/order_book.hpp"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <map>
#include <stdexcept>
#include <tuple>

namespace sy::book {

namespace {

constexpr size_t side_index(Side s) { return static_cast<size_t>(s); }

// Sort key that grows towards the best price on either side: bids best = highest price, asks
// best = lowest. Each side's array is kept ascending in this key, so the best level is the last
// element: reading it is O(1), and the common updates (at or near the touch) move few elements.
constexpr uint32_t goodness(Side s, uint32_t price) { return s == Side::bid ? price : ~price; }

// ITCH order references are day-unique and handed out in increasing order, so the low bits
// themselves index the table: orders entered close in time sit in neighbouring slots, and the
// lookups of a burst hit the same cache lines instead of one DRAM line (and TLB entry) each, as
// a scrambling hash would (measured: perf/bench_integrity). Linear probing absorbs the
// wrap-around of old resting orders.
constexpr uint64_t mix(uint64_t x) { return x; }

size_t table_size_for(uint32_t max_orders) {
  // At most half full: a lookup of an absent reference (every add) then probes ~2.5 slots on
  // average with linear probing, and there is always an empty slot to stop a probe.
  size_t n = 16;
  while (n < size_t{max_orders} * 2) n *= 2;
  return n;
}

}  // namespace

Symbol make_symbol(std::string_view s) {
  Symbol out;
  out.fill(' ');
  std::memcpy(out.data(), s.data(), std::min(s.size(), out.size()));
  return out;
}

const char* to_string(ApplyResult r) {
  switch (r) {
    case ApplyResult::applied:
      return "applied";
    case ApplyResult::unknown_order:
      return "unknown_order";
    case ApplyResult::overfill:
      return "overfill";
    case ApplyResult::capacity:
      return "capacity";
    case ApplyResult::unknown_instrument:
      return "unknown_instrument";
    case ApplyResult::duplicate_order:
      return "duplicate_order";
    case ApplyResult::invalid:
      return "invalid";
    case ApplyResult::ignored:
      return "ignored";
  }
  return "?";
}

OrderBook::OrderBook(const BookCapacity& cap, ReferencePrices* refs, const BookOptions& opts)
    : cap_(cap), opts_(opts), refs_(refs) {
  if (cap.max_instruments == 0 || cap.max_orders == 0 || cap.max_levels_per_side == 0) {
    throw std::invalid_argument("order book: every capacity must be at least 1");
  }
  if (refs != nullptr && refs->size() < size_t{cap.max_instruments} + 1) {
    throw std::invalid_argument("order book: reference prices have fewer slots than locates");
  }
  instruments_.resize(size_t{cap.max_instruments} + 1);
  levels_.resize(size_t{cap.max_instruments} * 2 * cap.max_levels_per_side);
  table_.resize(table_size_for(cap.max_orders));
  std::memset(static_cast<void*>(table_.data()), 0, table_.size() * sizeof(OrderSlot));
  mask_ = table_.size() - 1;
}

size_t OrderBook::memory_bytes() const {
  return instruments_.size() * sizeof(InstrumentState) + levels_.size() * sizeof(Level) +
         table_.size() * sizeof(OrderSlot) + sizeof(*this);
}

// ---------------------------------------------------------------------------------------------
// Order table: open addressing, linear probing, backward-shift deletion (no tombstones, so probe
// lengths do not degrade over a day of adds and deletes).

size_t OrderBook::home(uint64_t ref) const { return static_cast<size_t>(mix(ref)) & mask_; }

size_t OrderBook::find_order(uint64_t ref) const {
  for (size_t i = home(ref);; i = (i + 1) & mask_) {
    const OrderSlot& s = table_[i];
    if (s.locate == 0) return kNotFound;
    if (s.ref == ref) return i;
  }
}

size_t OrderBook::insert_slot(const OrderSlot& o) {
  size_t i = home(o.ref);
  while (table_[i].locate != 0) i = (i + 1) & mask_;
  table_[i] = o;
  ++live_;
  return i;
}

void OrderBook::erase_slot(size_t hole) {
  // Pull back every later member of the probe run whose home is not cyclically within
  // (hole, j]: it may then sit in the hole without becoming unreachable.
  for (size_t j = (hole + 1) & mask_; table_[j].locate != 0; j = (j + 1) & mask_) {
    const size_t h = home(table_[j].ref);
    if (((j - h) & mask_) >= ((j - hole) & mask_)) {
      table_[hole] = table_[j];
      hole = j;
    }
  }
  table_[hole].locate = 0;
  --live_;
}

// ---------------------------------------------------------------------------------------------
// Price levels

Level* OrderBook::side_levels(uint16_t locate, Side s) {
  return levels_.data() + ((size_t{locate} - 1) * 2 + side_index(s)) * cap_.max_levels_per_side;
}
const Level* OrderBook::side_levels(uint16_t locate, Side s) const {
  return levels_.data() + ((size_t{locate} - 1) * 2 + side_index(s)) * cap_.max_levels_per_side;
}

OrderBook::LevelPos OrderBook::find_level(uint16_t locate, Side s, uint32_t price) const {
  const Level* lv = side_levels(locate, s);
  const uint32_t n = instruments_[locate].level_count[side_index(s)];
  const uint32_t g = goodness(s, price);
  // Most traffic is at the touch: check it before searching.
  if (n == 0 || g > goodness(s, lv[n - 1].price)) return {n, false};
  if (lv[n - 1].price == price) return {n - 1, true};
  uint32_t lo = 0, hi = n - 1;  // lower bound of g in [lo, hi)
  while (lo < hi) {
    const uint32_t mid = lo + (hi - lo) / 2;
    if (goodness(s, lv[mid].price) < g) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return {lo, lo < n && lv[lo].price == price};
}

bool OrderBook::level_room(uint16_t locate, Side s, uint32_t price) const {
  return instruments_[locate].level_count[side_index(s)] < cap_.max_levels_per_side ||
         find_level(locate, s, price).found;
}

void OrderBook::level_add(uint16_t locate, Side s, uint32_t price, uint32_t shares) {
  Level* lv = side_levels(locate, s);
  uint32_t& n = instruments_[locate].level_count[side_index(s)];
  const LevelPos p = find_level(locate, s, price);
  if (p.found) {
    lv[p.pos].shares += shares;
    ++lv[p.pos].orders;
    return;
  }
  assert(n < cap_.max_levels_per_side);  // callers check level_room first
  std::memmove(static_cast<void*>(lv + p.pos + 1), lv + p.pos, (n - p.pos) * sizeof(Level));
  lv[p.pos] = Level{price, 1, shares};
  ++n;
}

// Takes `shares` off the level; `last` says the order leaves the level (its shares reached 0).
void OrderBook::level_reduce(uint16_t locate, Side s, uint32_t price, uint32_t shares, bool last) {
  Level* lv = side_levels(locate, s);
  uint32_t& n = instruments_[locate].level_count[side_index(s)];
  const LevelPos p = find_level(locate, s, price);
  assert(p.found && lv[p.pos].shares >= shares);  // every live order is on its level
  Level& l = lv[p.pos];
  l.shares -= shares;
  if (!last) return;
  if (--l.orders == 0) {
    // Emptied: close the gap. If it was the best level the next one down becomes lv[n-1].
    std::memmove(static_cast<void*>(lv + p.pos), lv + p.pos + 1, (n - p.pos - 1) * sizeof(Level));
    --n;
  }
}

// ---------------------------------------------------------------------------------------------
// Instruments

bool OrderBook::add_instrument(uint16_t locate, const Symbol& symbol) {
  if (locate == 0 || locate > cap_.max_instruments) return false;
  InstrumentState& in = instruments_[locate];
  const bool was_known = in.known;
  const bool renamed = was_known && in.symbol != symbol;
  in.symbol = symbol;
  in.known = true;
  if (!was_known) publish(locate);
  if ((!was_known || renamed) && refs_ != nullptr) {
    uint64_t word = 0;
    std::memcpy(&word, symbol.data(), sizeof word);
    refs_->announce(locate, word);
  }
  return true;
}

InstrumentState* OrderBook::known_instrument(uint16_t locate) {
  if (locate == 0 || locate > cap_.max_instruments || !instruments_[locate].known) return nullptr;
  return &instruments_[locate];
}

const InstrumentState* OrderBook::instrument(uint16_t locate) const {
  if (locate == 0 || locate > cap_.max_instruments || !instruments_[locate].known) return nullptr;
  return &instruments_[locate];
}

void OrderBook::mark_unknown(uint16_t locate) {
  InstrumentState* in = known_instrument(locate);
  if (in == nullptr || in->book_unknown) return;
  in->book_unknown = true;
  publish(locate);
}

void OrderBook::mark_all_unknown() {
  for (uint16_t l = 1; l <= cap_.max_instruments; ++l) {
    mark_unknown(l);
    if (l == cap_.max_instruments) break;  // l is 16-bit: stop before it wraps
  }
}

void OrderBook::set_stale(uint16_t locate, bool stale) {
  InstrumentState* in = known_instrument(locate);
  if (in == nullptr || in->stale == stale) return;
  in->stale = stale;
  publish(locate);
}

void OrderBook::set_all_stale(bool stale) {
  for (uint16_t l = 1; l <= cap_.max_instruments; ++l) {
    set_stale(l, stale);
    if (l == cap_.max_instruments) break;
  }
}

void OrderBook::reset_all() {
  if (live_ != 0) {
    std::memset(static_cast<void*>(table_.data()), 0, table_.size() * sizeof(OrderSlot));
    live_ = 0;
  }
  for (size_t l = 1; l < instruments_.size(); ++l) {
    InstrumentState& in = instruments_[l];
    InstrumentState fresh;
    fresh.symbol = in.symbol;
    fresh.known = in.known;
    fresh.stale = in.stale;
    in = fresh;
    if (in.known) publish(static_cast<uint16_t>(l));
  }
}

// ---------------------------------------------------------------------------------------------
// Queries

Bbo OrderBook::bbo(uint16_t locate) const {
  Bbo b;
  const InstrumentState* in = instrument(locate);
  if (in == nullptr) return b;
  if (const uint32_t n = in->level_count[0]; n != 0) {
    b.has_bid = true;
    b.bid = side_levels(locate, Side::bid)[n - 1];
  }
  if (const uint32_t n = in->level_count[1]; n != 0) {
    b.has_ask = true;
    b.ask = side_levels(locate, Side::ask)[n - 1];
  }
  return b;
}

size_t OrderBook::levels(uint16_t locate, Side side, std::span<Level> out) const {
  const InstrumentState* in = instrument(locate);
  if (in == nullptr) return 0;
  const Level* lv = side_levels(locate, side);
  const size_t n = in->level_count[side_index(side)];
  const size_t k = std::min(n, out.size());
  for (size_t i = 0; i < k; ++i) out[i] = lv[n - 1 - i];
  return k;
}

std::vector<Level> OrderBook::levels(uint16_t locate, Side side, size_t k) const {
  std::vector<Level> out(k);
  out.resize(levels(locate, side, std::span<Level>(out)));
  return out;
}

std::optional<OrderView> OrderBook::order(uint64_t ref) const {
  const size_t i = find_order(ref);
  if (i == kNotFound) return std::nullopt;
  const OrderSlot& s = table_[i];
  return OrderView{s.ref, s.locate, static_cast<Side>(s.side), s.shares, s.price};
}

RefValue OrderBook::reference_value(uint16_t locate) const {
  RefValue v;
  const InstrumentState* in = instrument(locate);
  if (in == nullptr) return v;
  const Bbo b = bbo(locate);
  v.flags = 0;
  if (b.has_bid) {
    v.bid_price = b.bid.price;
    v.bid_shares = b.bid.shares;
  } else {
    v.flags |= kRefNoBid;
  }
  if (b.has_ask) {
    v.ask_price = b.ask.price;
    v.ask_shares = b.ask.shares;
  } else {
    v.flags |= kRefNoAsk;
  }
  if (in->has_last_trade) {
    v.last_price = in->last_price;
  } else {
    v.flags |= kRefNoTrade;
  }
  if (in->book_unknown) v.flags |= kRefBookUnknown;
  if (in->stale) v.flags |= kRefStale;
  v.exchange_ns = in->update_exchange_ns;
  v.rx_ns = in->update_rx_ns;
  return v;
}

void OrderBook::publish(uint16_t locate) {
  if (refs_ != nullptr) refs_->publish(locate, reference_value(locate));
}

// ---------------------------------------------------------------------------------------------
// Applying records

ApplyResult OrderBook::apply(const CanonicalRecord& rec) { return dispatch(rec, nullptr); }

ApplyResult OrderBook::apply(const CanonicalRecord& rec, const Symbol& symbol) {
  return dispatch(rec, &symbol);
}

ApplyResult OrderBook::dispatch(const CanonicalRecord& rec, const Symbol* symbol) {
  const uint16_t locate = rec.locate;
  // Publish only on a change of what readers see: compare the instrument's value before and
  // after (a few loads from lines this record touches anyway). An instrument not yet known has
  // the default value, which is also what add_instrument() publishes for it.
  const RefValue before = refs_ != nullptr ? reference_value(locate) : RefValue{};

  ApplyResult r = ApplyResult::ignored;
  switch (rec.kind) {
    case CanonicalKind::add:
      r = on_add(rec);
      break;
    case CanonicalKind::execute:
    case CanonicalKind::execute_price:
    case CanonicalKind::cancel:
      r = on_reduce(rec);
      break;
    case CanonicalKind::delete_order:
      r = on_delete(rec);
      break;
    case CanonicalKind::replace:
      r = on_replace(rec);
      break;
    case CanonicalKind::trade:
    case CanonicalKind::cross:
      r = on_trade(rec);
      break;
    case CanonicalKind::directory: {
      static constexpr Symbol kBlank = {' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '};
      r = add_instrument(locate, symbol != nullptr ? *symbol : kBlank)
              ? ApplyResult::applied
              : ApplyResult::unknown_instrument;
      break;
    }
    // B breaks an earlier execution: the book is untouched and we keep no per-match history to
    // undo volume with. S, H and the rest say nothing about orders. A session start (S 'O') is
    // not acted on here: the integrity lcore decides when to reset_all() (it knows whether the
    // record is live or recovered).
    case CanonicalKind::broken_trade:
    case CanonicalKind::system_event:
    case CanonicalKind::trading_action:
    case CanonicalKind::other:
      r = ApplyResult::ignored;
      break;
  }
  counters_[static_cast<size_t>(r)].inc();

  if (refs_ != nullptr) {
    if (InstrumentState* in = known_instrument(locate)) {
      RefValue after = reference_value(locate);
      if (after != before) {
        in->update_exchange_ns = after.exchange_ns = rec.exchange_ns;
        in->update_rx_ns = after.rx_ns = rec.rx_ns;
        refs_->publish(locate, after);
      }
    }
  }
  return r;
}

void OrderBook::on_error(uint16_t locate) {
  if (!opts_.mark_unknown_on_error) return;
  if (InstrumentState* in = known_instrument(locate)) in->book_unknown = true;
}

void OrderBook::record_trade(InstrumentState& in, uint32_t price, uint64_t shares, uint64_t ns) {
  in.has_last_trade = true;
  in.last_price = price;
  in.last_trade_ns = ns;
  in.volume += shares;
}

ApplyResult OrderBook::on_add(const CanonicalRecord& rec) {
  if ((rec.side != 'B' && rec.side != 'S') || rec.shares == 0) return ApplyResult::invalid;
  const uint16_t locate = rec.locate;
  InstrumentState* in = known_instrument(locate);
  if (in == nullptr) {
    if (!opts_.implicit_instruments || !add_instrument(locate, make_symbol(""))) {
      return ApplyResult::unknown_instrument;
    }
    in = &instruments_[locate];
  }
  const Side side = rec.side == 'B' ? Side::bid : Side::ask;
  if (find_order(rec.order_ref) != kNotFound) {
    on_error(locate);
    return ApplyResult::duplicate_order;
  }
  if (live_ >= cap_.max_orders || !level_room(locate, side, rec.price)) {
    on_error(locate);
    return ApplyResult::capacity;
  }
  insert_slot(OrderSlot{rec.order_ref, rec.shares, rec.price, locate, static_cast<uint8_t>(side)});
  level_add(locate, side, rec.price, rec.shares);
  ++in->live_orders;
  return ApplyResult::applied;
}

void OrderBook::remove_order(size_t slot) {
  const OrderSlot o = table_[slot];
  level_reduce(o.locate, static_cast<Side>(o.side), o.price, o.shares, true);
  --instruments_[o.locate].live_orders;
  erase_slot(slot);
}

// E, C, X: take shares off an order, removing it at zero.
ApplyResult OrderBook::on_reduce(const CanonicalRecord& rec) {
  const uint16_t locate = rec.locate;
  InstrumentState* in = known_instrument(locate);
  if (in == nullptr) return ApplyResult::unknown_instrument;
  const size_t i = find_order(rec.order_ref);
  // Order references are unique across the whole feed; a record naming another instrument's
  // order is not about that order.
  if (i == kNotFound || table_[i].locate != locate) {
    on_error(locate);
    return ApplyResult::unknown_order;
  }
  OrderSlot& o = table_[i];
  const uint32_t order_price = o.price;
  ApplyResult r = ApplyResult::applied;
  uint32_t take = rec.shares;
  if (take > o.shares) {
    take = o.shares;
    r = ApplyResult::overfill;
    on_error(locate);
  }
  if (take == o.shares) {
    remove_order(i);
  } else {
    level_reduce(locate, static_cast<Side>(o.side), o.price, take, false);
    o.shares -= take;
  }
  // Volume counts what the exchange says traded, even when our copy of the order had less.
  if (rec.kind == CanonicalKind::execute) {
    record_trade(*in, order_price, rec.shares, rec.exchange_ns);
  } else if (rec.kind == CanonicalKind::execute_price && rec.code == 'Y') {
    // Non-printable executions are reported again in a bulk print (a Q cross): counting them
    // here would count them twice.
    record_trade(*in, rec.price, rec.shares, rec.exchange_ns);
  }
  return r;
}

ApplyResult OrderBook::on_delete(const CanonicalRecord& rec) {
  const uint16_t locate = rec.locate;
  if (known_instrument(locate) == nullptr) return ApplyResult::unknown_instrument;
  const size_t i = find_order(rec.order_ref);
  if (i == kNotFound || table_[i].locate != locate) {
    on_error(locate);
    return ApplyResult::unknown_order;
  }
  remove_order(i);
  return ApplyResult::applied;
}

ApplyResult OrderBook::on_replace(const CanonicalRecord& rec) {
  const uint16_t locate = rec.locate;
  InstrumentState* in = known_instrument(locate);
  if (in == nullptr) return ApplyResult::unknown_instrument;
  const size_t i = find_order(rec.order_ref);
  if (i == kNotFound || table_[i].locate != locate) {
    on_error(locate);
    return ApplyResult::unknown_order;
  }
  if (rec.shares == 0) return ApplyResult::invalid;
  if (rec.new_order_ref != rec.order_ref && find_order(rec.new_order_ref) != kNotFound) {
    on_error(locate);
    return ApplyResult::duplicate_order;
  }
  const Side side = static_cast<Side>(table_[i].side);
  remove_order(i);  // frees an order slot, and its level if it was alone there
  // The new order goes to the back of its level's queue (priority lost); an aggregated book has
  // no queue, so this is simply an add.
  if (!level_room(locate, side, rec.price)) {
    on_error(locate);
    return ApplyResult::capacity;
  }
  insert_slot(
      OrderSlot{rec.new_order_ref, rec.shares, rec.price, locate, static_cast<uint8_t>(side)});
  level_add(locate, side, rec.price, rec.shares);
  ++in->live_orders;
  return ApplyResult::applied;
}

// P (non-displayed execution) and Q (cross): trade statistics only.
ApplyResult OrderBook::on_trade(const CanonicalRecord& rec) {
  InstrumentState* in = known_instrument(rec.locate);
  if (in == nullptr) return ApplyResult::unknown_instrument;
  // A cross with no volume (Q shares 0: no cross happened) sets no price. Q volume counts: it
  // is where the non-printable C executions of the auction are printed.
  if (rec.kind == CanonicalKind::trade || rec.shares > 0) {
    record_trade(*in, rec.price, rec.shares, rec.exchange_ns);
  }
  return ApplyResult::applied;
}

// ---------------------------------------------------------------------------------------------

bool OrderBook::check_invariants() const {
  bool ok = true;
  // Aggregate the orders per (locate, side, price) and compare with the levels.
  std::map<std::tuple<uint16_t, uint8_t, uint32_t>, Level> agg;
  std::vector<uint32_t> per_instrument(instruments_.size(), 0);
  size_t occupied = 0;
  for (size_t i = 0; i < table_.size(); ++i) {
    const OrderSlot& s = table_[i];
    if (s.locate == 0) continue;
    ++occupied;
    ok = ok && s.locate <= cap_.max_instruments && instruments_[s.locate].known;
    ok = ok && s.shares > 0 && s.side <= 1;
    ok = ok && find_order(s.ref) == i;  // reachable from its home: probe chain intact
    if (!ok) return false;
    Level& l = agg[{s.locate, s.side, s.price}];
    l.price = s.price;
    ++l.orders;
    l.shares += s.shares;
    ++per_instrument[s.locate];
  }
  if (occupied != live_ || live_ > cap_.max_orders) return false;
  if (table_.size() < 2 * size_t{cap_.max_orders}) return false;

  size_t levels_seen = 0;
  for (uint16_t l = 1; l <= cap_.max_instruments; ++l) {
    const InstrumentState& in = instruments_[l];
    if (in.live_orders != per_instrument[l]) return false;
    for (uint8_t s = 0; s < 2; ++s) {
      const uint32_t n = in.level_count[s];
      if (n > cap_.max_levels_per_side) return false;
      if (n != 0 && !in.known) return false;
      const Level* lv = side_levels(l, static_cast<Side>(s));
      for (uint32_t k = 0; k < n; ++k) {
        if (k > 0 && goodness(static_cast<Side>(s), lv[k - 1].price) >=
                         goodness(static_cast<Side>(s), lv[k].price)) {
          return false;  // not strictly sorted worst .. best
        }
        const auto it = agg.find({l, s, lv[k].price});
        if (it == agg.end() || it->second != lv[k]) return false;
        ++levels_seen;
      }
    }
    if (l == cap_.max_instruments) break;
  }
  return levels_seen == agg.size();  // no orders without a level
}

}  // namespace sy::book
