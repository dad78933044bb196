// The fills ledger (see ledger.hpp for the accounting rules).

#include "src/risk/ledger.hpp"

#include <algorithm>
#include <cassert>
#include <cstdlib>
#include <vector>

namespace sy::risk {

const char* to_string(OrderState s) {
  switch (s) {
    case OrderState::empty:
      return "empty";
    case OrderState::pending_new:
      return "pending_new";
    case OrderState::live:
      return "live";
    case OrderState::pending_replace:
      return "pending_replace";
    case OrderState::closed:
      return "closed";
  }
  return "?";
}

const char* to_string(ApplyResult r) {
  switch (r) {
    case ApplyResult::applied:
      return "applied";
    case ApplyResult::unknown_order:
      return "unknown_order";
    case ApplyResult::overfill:
      return "overfill";
    case ApplyResult::unknown_match:
      return "unknown_match";
  }
  return "?";
}

namespace {

uint32_t pow2_at_least(uint64_t n) {
  uint64_t c = 16;
  while (c < n) c *= 2;
  assert(c <= (uint64_t{1} << 31));
  return static_cast<uint32_t>(c);
}

uint64_t magnitude(int64_t v) {
  return v < 0 ? uint64_t{0} - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
}

}  // namespace

Ledger::Ledger(Capacity capacity)
    // Sized so that `capacity` entries stay under kMaxLoad.
    : order_capacity_(pow2_at_least(uint64_t{capacity.orders} * 4 / 3 + 1)),
      order_limit_(capacity.orders),
      orders_(std::make_unique<OrderEntry[]>(order_capacity_)),
      position_capacity_(pow2_at_least(uint64_t{capacity.positions} * 4 / 3 + 1)),
      position_limit_(capacity.positions),
      positions_(std::make_unique<Position[]>(position_capacity_)),
      fill_capacity_(pow2_at_least(capacity.fills)),
      fill_index_size_(fill_capacity_ * 2),
      fills_(std::make_unique<Fill[]>(fill_capacity_)),
      fill_index_(std::make_unique<uint32_t[]>(fill_index_size_)) {
  assert(capacity.orders > 0 && capacity.positions > 0 && capacity.fills > 0);
  std::fill_n(fill_index_.get(), fill_index_size_, kNoSlot);
  assert(order_limit_ <= order_capacity_ * kMaxLoad);
  assert(position_limit_ <= position_capacity_ * kMaxLoad);
}

uint64_t Ledger::worst_shares(int64_t net, uint64_t open_buy, uint64_t open_sell) {
  const int64_t up = net + static_cast<int64_t>(open_buy);
  const int64_t down = net - static_cast<int64_t>(open_sell);
  const uint64_t a = magnitude(up);
  const uint64_t b = magnitude(down);
  return a > b ? a : b;
}

uint32_t Ledger::find(uint16_t session, const OrderToken& token) const {
  const uint64_t lo = key_lo_of(session, token);
  const uint64_t hi = key_hi_of(token);
  const uint32_t mask = order_capacity_ - 1;
  for (uint32_t i = static_cast<uint32_t>(mix(lo, hi)) & mask;; i = (i + 1) & mask) {
    const OrderEntry& e = orders_[i];
    if (e.state == OrderState::empty) return kNoSlot;
    if (e.key_lo == lo && e.key_hi == hi) return i;
  }
}

uint32_t Ledger::insert(uint16_t session, const OrderToken& token, OrderState state) {
  if (order_count_ >= order_limit_) return kNoSlot;
  const uint64_t lo = key_lo_of(session, token);
  const uint64_t hi = key_hi_of(token);
  const uint32_t mask = order_capacity_ - 1;
  uint32_t i = static_cast<uint32_t>(mix(lo, hi)) & mask;
  while (orders_[i].state != OrderState::empty) {
    assert(!(orders_[i].key_lo == lo && orders_[i].key_hi == hi));  // caller checked find()
    i = (i + 1) & mask;
  }
  OrderEntry& e = orders_[i];
  e = OrderEntry{};
  e.key_lo = lo;
  e.key_hi = hi;
  e.session = session;
  e.state = state;
  ++order_count_;
  return i;
}

uint32_t Ledger::find_position(uint8_t account, uint64_t symbol) const {
  const uint32_t mask = position_capacity_ - 1;
  for (uint32_t i = static_cast<uint32_t>(mix(symbol, account)) & mask;; i = (i + 1) & mask) {
    const Position& p = positions_[i];
    if (!p.used) return kNoSlot;
    if (p.symbol == symbol && p.account == account) return i;
  }
}

uint32_t Ledger::position_slot(uint8_t account, uint64_t symbol, uint16_t locate) {
  const uint32_t mask = position_capacity_ - 1;
  uint32_t i = static_cast<uint32_t>(mix(symbol, account)) & mask;
  for (;; i = (i + 1) & mask) {
    const Position& p = positions_[i];
    if (!p.used) break;
    if (p.symbol == symbol && p.account == account) {
      if (p.locate == 0) positions_[i].locate = locate;  // carried positions start without one
      return i;
    }
  }
  if (position_count_ >= position_limit_) return kNoSlot;
  Position& p = positions_[i];
  p = Position{};
  p.symbol = symbol;
  p.account = account;
  p.locate = locate;
  p.used = true;
  ++position_count_;
  return i;
}

void Ledger::link_open(uint32_t slot) {
  OrderEntry& e = orders_[slot];
  e.prev_open = open_tail_;
  e.next_open = kNoSlot;
  if (open_tail_ != kNoSlot)
    orders_[open_tail_].next_open = slot;
  else
    open_head_ = slot;
  open_tail_ = slot;
}

void Ledger::unlink_open(uint32_t slot) {
  OrderEntry& e = orders_[slot];
  if (snapshot_cursor == slot) snapshot_cursor = e.next_open;
  if (e.prev_open != kNoSlot)
    orders_[e.prev_open].next_open = e.next_open;
  else
    open_head_ = e.next_open;
  if (e.next_open != kNoSlot)
    orders_[e.next_open].prev_open = e.prev_open;
  else
    open_tail_ = e.prev_open;
  e.prev_open = e.next_open = kNoSlot;
}

void Ledger::refresh(Position& p) {
  const uint64_t worst = worst_shares(p.net_shares, p.open_buy_shares, p.open_sell_shares);
  const uint64_t exposure = magnitude(p.net_shares) * p.mark_price + p.open_notional;
  AccountTotals& a = accounts_[p.account];
  // Unsigned wrap-around makes "+ new - old" exact even when the value shrinks.
  a.worst_shares += worst - p.worst_shares;
  a.exposure += exposure - p.exposure;
  p.worst_shares = worst;
  p.exposure = exposure;
}

void Ledger::reserve(uint32_t slot, uint64_t shares, uint64_t notional) {
  OrderEntry& e = orders_[slot];
  Position& p = positions_[e.position];
  uint64_t& side_open = is_buy(e.side) ? p.open_buy_shares : p.open_sell_shares;
  side_open += shares - e.reserved_shares;
  p.open_notional += notional - e.reserved_notional;
  e.reserved_shares = static_cast<uint32_t>(shares);
  e.reserved_notional = notional;
  refresh(p);
}

void Ledger::reserve_open(uint32_t slot) {
  const uint32_t shares = held(orders_[slot]);
  reserve(slot, shares, uint64_t{shares} * orders_[slot].price);
}

void Ledger::replace_delta(uint32_t existing, uint32_t chain_total, uint32_t price,
                           uint64_t& shares, uint64_t& notional) const {
  const OrderEntry& o = orders_[existing];
  const uint64_t left = chain_total > o.executed ? chain_total - o.executed : 0;
  const uint64_t left_notional = left * price;
  shares = left > o.reserved_shares ? left - o.reserved_shares : 0;
  notional = left_notional > o.reserved_notional ? left_notional - o.reserved_notional : 0;
}

void Ledger::rebalance_replacement(uint32_t existing) {
  const uint32_t n = orders_[existing].link;
  if (n == kNoSlot) return;
  uint64_t shares = 0, notional = 0;
  replace_delta(existing, orders_[n].chain_total, orders_[n].price, shares, notional);
  orders_[n].executed = orders_[existing].executed;
  reserve(n, shares, notional);
}

void Ledger::close(uint32_t slot) {
  OrderEntry& e = orders_[slot];
  assert(e.state != OrderState::empty && e.state != OrderState::closed);
  if (e.link != kNoSlot) {
    const uint32_t other = e.link;
    e.link = kNoSlot;
    orders_[other].link = kNoSlot;
    // The order being replaced is gone: the venue will ignore the replace (OUCH), so the
    // pending replacement closes with it. A closing replacement leaves its order alone.
    if (e.state != OrderState::pending_replace) close(other);
  }
  reserve(slot, 0, 0);
  if (counted(e.state)) --accounts_[e.account].open_orders;
  unlink_open(slot);
  e.state = OrderState::closed;
}

uint32_t Ledger::add_order(const OrderIntent& in) {
  if (orders_full()) return kNoSlot;
  const uint32_t pos = position_slot(in.account, in.symbol, in.locate);
  if (pos == kNoSlot) return kNoSlot;
  const uint32_t slot = insert(in.session, in.token, OrderState::pending_new);
  OrderEntry& e = orders_[slot];
  e.symbol = in.symbol;
  e.position = pos;
  e.remaining = in.shares;
  e.price = in.price;
  e.locate = in.locate;
  e.account = in.account;
  e.side = in.side;
  ++accounts_[in.account].open_orders;
  link_open(slot);
  reserve(slot, in.shares, uint64_t{in.shares} * in.price);
  return slot;
}

uint32_t Ledger::add_replace(const OrderIntent& in, uint32_t existing) {
  assert(orders_[existing].link == kNoSlot && counted(orders_[existing].state));
  const uint32_t slot = insert(in.session, in.token, OrderState::pending_replace);
  if (slot == kNoSlot) return kNoSlot;
  const OrderEntry& o = orders_[existing];
  OrderEntry& n = orders_[slot];
  n.symbol = o.symbol;
  n.position = o.position;
  n.locate = o.locate;
  n.account = o.account;
  n.side = o.side;
  n.price = in.price;
  n.chain_total = in.shares;
  n.executed = o.executed;
  n.link = existing;
  orders_[existing].link = slot;
  link_open(slot);
  rebalance_replacement(existing);
  return slot;
}

void Ledger::add_modify(uint32_t slot, uint32_t chain_total) {
  assert(counted(orders_[slot].state) && orders_[slot].link == kNoSlot);
  orders_[slot].modify_total = chain_total;
  reserve_open(slot);
}

bool Ledger::consume_token(uint16_t session, const OrderToken& token) {
  return insert(session, token, OrderState::closed) != kNoSlot;
}

ApplyResult Ledger::apply(const VenueEvent& ev) {
  const uint32_t slot = find(ev.session, ev.token);
  if (slot == kNoSlot) return ApplyResult::unknown_order;
  OrderEntry& e = orders_[slot];
  switch (ev.kind) {
    case VenueEvent::Kind::accepted: {
      if (e.state != OrderState::pending_new) return ApplyResult::unknown_order;
      e.state = OrderState::live;
      e.remaining = ev.shares;
      e.price = ev.price;  // the venue may re-price
      reserve_open(slot);
      rebalance_replacement(slot);
      if (ev.dead || e.remaining == 0) close(slot);
      return ApplyResult::applied;
    }
    case VenueEvent::Kind::replaced: {
      const uint32_t old = e.link;
      if (e.state != OrderState::pending_replace || old == kNoSlot ||
          find(ev.session, ev.previous) != old)
        return ApplyResult::unknown_order;
      e.link = orders_[old].link = kNoSlot;
      e.executed = orders_[old].executed;
      close(old);
      e.state = OrderState::live;
      ++accounts_[e.account].open_orders;
      e.remaining = ev.shares;
      e.price = ev.price;
      reserve_open(slot);
      if (ev.dead || e.remaining == 0) close(slot);
      return ApplyResult::applied;
    }
    case VenueEvent::Kind::executed: {
      if (!counted(e.state)) return ApplyResult::unknown_order;
      const uint32_t q = ev.shares < e.remaining ? ev.shares : e.remaining;
      book(e.position, e.side, +1, q, ev.price);
      positions_[e.position].mark_price = ev.price;
      if (q > 0) record_fill(Fill{ev.match, slot, e.position, q, ev.price, e.side, false});
      e.remaining -= q;
      e.executed += q;
      reserve_open(slot);  // also refreshes p
      rebalance_replacement(slot);
      if (e.remaining == 0) close(slot);
      return q == ev.shares ? ApplyResult::applied : ApplyResult::overfill;
    }
    case VenueEvent::Kind::canceled: {
      if (!counted(e.state)) return ApplyResult::unknown_order;
      const uint32_t q = ev.shares < e.remaining ? ev.shares : e.remaining;
      e.remaining -= q;
      reserve_open(slot);
      rebalance_replacement(slot);
      if (e.remaining == 0) close(slot);
      return q == ev.shares ? ApplyResult::applied : ApplyResult::overfill;
    }
    case VenueEvent::Kind::modified: {
      if (!counted(e.state)) return ApplyResult::unknown_order;
      // The gate lets no Modify move an order between buy and sell; should the venue say so
      // anyway, its word stands and the reservation moves sides.
      if (is_buy(ev.side) != is_buy(e.side)) reserve(slot, 0, 0);
      e.side = ev.side;
      e.remaining = ev.shares;
      e.modify_total = 0;
      reserve_open(slot);
      rebalance_replacement(slot);
      if (e.remaining == 0) close(slot);
      return ApplyResult::applied;
    }
    case VenueEvent::Kind::rejected: {
      if (e.state != OrderState::pending_new && e.state != OrderState::pending_replace)
        return ApplyResult::unknown_order;
      close(slot);
      return ApplyResult::applied;
    }
    case VenueEvent::Kind::broken:
    case VenueEvent::Kind::trade_corrected:
    case VenueEvent::Kind::price_corrected:
      return correct(slot, ev);
  }
  return ApplyResult::unknown_order;
}

ApplyResult Ledger::book_carried(uint8_t account, uint64_t symbol, Side side, uint32_t shares,
                                 uint32_t price, uint64_t match) {
  const uint32_t pos = position_slot(account, symbol, 0);
  if (pos == kNoSlot) return ApplyResult::unknown_order;
  book(pos, side, +1, shares, price);
  positions_[pos].mark_price = price;
  refresh(positions_[pos]);
  if (shares > 0) record_fill(Fill{match, kNoSlot, pos, shares, price, side, false});
  return ApplyResult::applied;
}

void Ledger::book(uint32_t position, Side side, int sign, uint32_t shares, uint32_t price) {
  Position& p = positions_[position];
  AccountTotals& a = accounts_[p.account];
  // Unsigned wrap-around makes adding the negation exact.
  const uint64_t dq = sign > 0 ? uint64_t{shares} : uint64_t{0} - shares;
  const uint64_t dn = sign > 0 ? uint64_t{shares} * price : uint64_t{0} - uint64_t{shares} * price;
  if (is_buy(side)) {
    p.net_shares += sign * static_cast<int64_t>(shares);
    p.bought_shares += dq;
    p.bought_notional += dn;
  } else {
    p.net_shares -= sign * static_cast<int64_t>(shares);
    p.sold_shares += dq;
    p.sold_notional += dn;
  }
  a.executed_shares += dq;
  a.executed_notional += dn;
}

ApplyResult Ledger::correct(uint32_t slot, const VenueEvent& ev) {
  const uint32_t at = find_fill_index(ev.match);
  if (at == kNoSlot) return ApplyResult::unknown_match;
  Fill& f = fills_[fill_index_[at]];
  if (f.order != slot || f.broken) return ApplyResult::unknown_match;
  book(f.position, f.side, -1, f.shares, f.price);
  switch (ev.kind) {
    case VenueEvent::Kind::broken:
      f.broken = true;
      break;
    case VenueEvent::Kind::trade_corrected:
      f.shares = ev.shares;
      f.price = ev.price;
      book(f.position, f.side, +1, f.shares, f.price);
      break;
    case VenueEvent::Kind::price_corrected:
      f.price = ev.price;
      book(f.position, f.side, +1, f.shares, f.price);
      break;
    default:
      assert(false && "not a correction");
  }
  refresh(positions_[f.position]);
  return ApplyResult::applied;
}

uint32_t Ledger::find_fill_index(uint64_t match) const {
  const uint32_t mask = fill_index_size_ - 1;
  for (uint32_t i = fill_home(match);; i = (i + 1) & mask) {
    const uint32_t at = fill_index_[i];
    if (at == kNoSlot) return kNoSlot;
    if (fills_[at].match == match) return i;
  }
}

const Fill* Ledger::find_fill(uint64_t match) const {
  const uint32_t i = find_fill_index(match);
  return i == kNoSlot ? nullptr : &fills_[fill_index_[i]];
}

void Ledger::record_fill(const Fill& f) {
  if (fills_written_ >= fill_capacity_) forget_oldest_fill();
  const uint32_t at = static_cast<uint32_t>(fills_written_ & (fill_capacity_ - 1));
  fills_[at] = f;
  const uint32_t mask = fill_index_size_ - 1;
  uint32_t i = fill_home(f.match);
  while (fill_index_[i] != kNoSlot) i = (i + 1) & mask;
  fill_index_[i] = at;
  ++fills_written_;
}

// The ring's oldest fill (the one the next record overwrites) leaves the index. Backward-shift
// deletion keeps every other entry reachable from its home without tombstones.
void Ledger::forget_oldest_fill() {
  const uint32_t at = static_cast<uint32_t>(fills_written_ & (fill_capacity_ - 1));
  const uint32_t mask = fill_index_size_ - 1;
  uint32_t hole = fill_home(fills_[at].match);
  while (fill_index_[hole] != at) hole = (hole + 1) & mask;  // present: it was recorded
  for (uint32_t j = (hole + 1) & mask; fill_index_[j] != kNoSlot; j = (j + 1) & mask) {
    const uint32_t home = fill_home(fills_[fill_index_[j]].match);
    // An entry whose home lies cyclically in (hole, j] must stay where it is.
    const bool stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
    if (stays) continue;
    fill_index_[hole] = fill_index_[j];
    hole = j;
  }
  fill_index_[hole] = kNoSlot;
}

std::string Ledger::audit() const {
  std::string out;
  auto complain = [&](const std::string& s) { out += s + "\n"; };
  std::vector<Position> expect(position_capacity_);
  AccountTotals totals[kMaxAccounts] = {};
  size_t open_states = 0;
  for (uint32_t i = 0; i < order_capacity_; ++i) {
    const OrderEntry& e = orders_[i];
    if (e.state == OrderState::empty || e.state == OrderState::closed) {
      if (e.state == OrderState::closed && (e.reserved_shares || e.reserved_notional))
        complain("closed order " + std::to_string(i) + " still reserves");
      continue;
    }
    ++open_states;
    if (counted(e.state)) {
      ++totals[e.account].open_orders;
      if (e.reserved_shares != held(e) || e.reserved_notional != uint64_t{held(e)} * e.price)
        complain("order " + std::to_string(i) + " reserves other than what it holds x price");
    } else {
      uint64_t s = 0, n = 0;
      if (e.link == kNoSlot) {
        complain("replacement " + std::to_string(i) + " has no order");
      } else {
        replace_delta(e.link, e.chain_total, e.price, s, n);
        if (e.reserved_shares != s || e.reserved_notional != n)
          complain("replacement " + std::to_string(i) + " reserves other than its delta");
      }
    }
    Position& p = expect[e.position];
    (is_buy(e.side) ? p.open_buy_shares : p.open_sell_shares) += e.reserved_shares;
    p.open_notional += e.reserved_notional;
  }
  size_t listed = 0;
  for (uint32_t s = open_head_; s != kNoSlot; s = orders_[s].next_open) ++listed;
  if (listed != open_states)
    complain("open list has " + std::to_string(listed) + " entries, " +
             std::to_string(open_states) + " orders are open");
  for (uint32_t i = 0; i < position_capacity_; ++i) {
    const Position& p = positions_[i];
    if (!p.used) continue;
    const Position& x = expect[i];
    const std::string name = "position " + symbol_text(p.symbol) + "/" + std::to_string(p.account);
    if (p.open_buy_shares != x.open_buy_shares || p.open_sell_shares != x.open_sell_shares ||
        p.open_notional != x.open_notional)
      complain(name + ": open shares or notional differ from its orders");
    if (p.net_shares != static_cast<int64_t>(p.bought_shares - p.sold_shares))
      complain(name + ": net differs from bought - sold");
    if (p.worst_shares != worst_shares(p.net_shares, p.open_buy_shares, p.open_sell_shares) ||
        p.exposure != magnitude(p.net_shares) * p.mark_price + p.open_notional)
      complain(name + ": stale worst-case or exposure");
    AccountTotals& t = totals[p.account];
    t.worst_shares += p.worst_shares;
    t.exposure += p.exposure;
    t.executed_shares += p.bought_shares + p.sold_shares;
    t.executed_notional += p.bought_notional + p.sold_notional;
  }
  // Until the ring wraps it holds every fill: what they sum to is what the positions booked.
  if (fills_written_ <= fill_capacity_) {
    std::vector<Position> booked(position_capacity_);
    for (uint64_t i = 0; i < fills_written_; ++i) {
      const Fill& f = fills_[i];
      if (f.broken) continue;
      if (f.order != kNoSlot && (orders_[f.order].position != f.position ||
                                 is_buy(orders_[f.order].side) != is_buy(f.side)))
        complain("fill " + std::to_string(f.match) + " disagrees with its order");
      Position& b = booked[f.position];
      (is_buy(f.side) ? b.bought_shares : b.sold_shares) += f.shares;
      (is_buy(f.side) ? b.bought_notional : b.sold_notional) += uint64_t{f.shares} * f.price;
    }
    for (uint32_t i = 0; i < position_capacity_; ++i) {
      const Position& p = positions_[i];
      const Position& b = booked[i];
      if (p.bought_shares != b.bought_shares || p.sold_shares != b.sold_shares ||
          p.bought_notional != b.bought_notional || p.sold_notional != b.sold_notional)
        complain("position " + symbol_text(p.symbol) + "/" + std::to_string(p.account) +
                 ": bought/sold differ from the sum of its fills");
    }
  }
  for (unsigned a = 0; a < kMaxAccounts; ++a) {
    const AccountTotals& t = totals[a];
    const AccountTotals& g = accounts_[a];
    if (t.open_orders != g.open_orders || t.worst_shares != g.worst_shares ||
        t.exposure != g.exposure || t.executed_shares != g.executed_shares ||
        t.executed_notional != g.executed_notional)
      complain("account " + std::to_string(a) + ": totals differ from its positions");
  }
  return out;
}

}  // namespace sy::risk
