// Double-buffered ledger snapshots (see snapshot.hpp for the handshake).

#include "src/risk/snapshot.hpp"

#include <algorithm>

namespace sy::risk {

bool LedgerSnapshots::publish_step(Ledger& ledger, uint64_t now_ns, uint64_t interval_ns,
                                   uint32_t budget) {
  if (phase_ == Phase::idle) {
    if (now_ns < next_due_ns_) return false;
    const int pub = published_.load(std::memory_order_seq_cst);
    target_ = pub == 0 ? 1 : 0;
    if (readers_[target_].load(std::memory_order_seq_cst) != 0) {  // W1: pinned, try later
      ++skipped_;
      return false;
    }
    LedgerSnapshot& s = buffers_[target_];
    s.started_ns = now_ns;
    s.open_count = 0;
    s.position_count = 0;
    s.truncated = false;
    ledger.snapshot_cursor = ledger.open_head();
    position_cursor_ = 0;
    phase_ = Phase::orders;
  }
  LedgerSnapshot& s = buffers_[target_];
  uint32_t work = 0;
  if (phase_ == Phase::orders) {
    // The ledger moves the cursor on when the order it stands on closes.
    while (ledger.snapshot_cursor != kNoSlot && work < budget) {
      const uint32_t slot = ledger.snapshot_cursor;
      const OrderEntry& e = ledger.order(slot);
      if (s.open_count < s.open_orders.size()) {
        s.open_orders[s.open_count++] = {e.token(),  e.session, e.locate,  e.symbol, e.remaining,
                                         e.executed, e.price,   e.account, e.side,   e.state};
      } else {
        s.truncated = true;
      }
      ledger.snapshot_cursor = e.next_open;
      ++work;
    }
    if (ledger.snapshot_cursor != kNoSlot) return false;
    phase_ = Phase::positions;
  }
  const uint32_t cap = ledger.position_capacity();
  while (position_cursor_ < cap && work < budget) {
    const Position& p = ledger.position(position_cursor_++);
    ++work;
    if (!p.used || s.position_count >= s.positions.size()) continue;
    s.positions[s.position_count++] = {
        p.symbol,           p.locate,        p.account,       p.net_shares,  p.open_buy_shares,
        p.open_sell_shares, p.open_notional, p.bought_shares, p.sold_shares, p.bought_notional,
        p.sold_notional,    p.mark_price,    p.worst_shares,  p.exposure};
  }
  if (position_cursor_ < cap) return false;
  for (unsigned a = 0; a < kMaxAccounts; ++a)
    s.accounts[a] = ledger.account(static_cast<uint8_t>(a));
  s.finished_ns = now_ns;
  s.generation = ++generation_;
  published_.store(target_, std::memory_order_seq_cst);  // W2
  phase_ = Phase::idle;
  next_due_ns_ = now_ns + interval_ns;
  return true;
}

bool LedgerSnapshots::read(LedgerSnapshot& out, unsigned attempts) const {
  for (unsigned i = 0; i < attempts; ++i) {
    const int b = published_.load(std::memory_order_seq_cst);  // R1
    if (b < 0) return false;
    readers_[b].fetch_add(1, std::memory_order_seq_cst);    // R2
    if (published_.load(std::memory_order_seq_cst) != b) {  // R3
      readers_[b].fetch_sub(1, std::memory_order_seq_cst);
      continue;
    }
    const LedgerSnapshot& s = buffers_[b];
    out.generation = s.generation;
    out.started_ns = s.started_ns;
    out.finished_ns = s.finished_ns;
    out.open_count = s.open_count;
    out.position_count = s.position_count;
    out.truncated = s.truncated;
    out.open_orders.assign(s.open_orders.begin(),
                           s.open_orders.begin() + static_cast<std::ptrdiff_t>(s.open_count));
    out.positions.assign(s.positions.begin(),
                         s.positions.begin() + static_cast<std::ptrdiff_t>(s.position_count));
    std::copy(std::begin(s.accounts), std::end(s.accounts), std::begin(out.accounts));
    readers_[b].fetch_sub(1, std::memory_order_release);
    return true;
  }
  return false;
}

}  // namespace sy::risk
