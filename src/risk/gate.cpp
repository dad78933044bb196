// The pre-trade risk gate (see gate.hpp and checks.hpp for the order of the checks).

#include "src/risk/gate.hpp"

#include <cassert>
#include <chrono>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

namespace sy::risk {

uint64_t read_tsc() {
#if defined(__x86_64__) || defined(__i386__)
  return __rdtsc();
#else
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
#endif
}

const char* to_string(FeedHealth h) {
  switch (h) {
    case FeedHealth::unknown:
      return "UNKNOWN";
    case FeedHealth::healthy:
      return "HEALTHY";
    case FeedHealth::ended:
      return "ENDED";
  }
  return "?";
}

uint32_t reference_price(const book::RefValue& v, ReferenceSource source) {
  const bool two_sided = (v.flags & (book::kRefNoBid | book::kRefNoAsk)) == 0;
  const bool traded = (v.flags & book::kRefNoTrade) == 0 && v.last_price != 0;
  const uint32_t mid =
      two_sided ? static_cast<uint32_t>((uint64_t{v.bid_price} + v.ask_price) / 2) : 0;
  switch (source) {
    case ReferenceSource::mid:
      return mid;
    case ReferenceSource::last:
      return traded ? v.last_price : 0;
    case ReferenceSource::mid_or_last:
      return mid != 0 ? mid : (traded ? v.last_price : 0);
  }
  return 0;
}

namespace {

__extension__ typedef unsigned __int128 u128;  // 64x64 -> 128-bit products for TSC -> ns

inline constexpr uint32_t kMaxOrderShares = 999'999;       // OUCH 4.2 Shares
inline constexpr uint32_t kMaxOrderPrice = 1'999'999'900;  // OUCH 4.2: $199,999.9900

// OUCH Modify Order: only S, T and E change into each other.
bool side_change_ok(Side from, Side to) {
  return to == from || (!is_buy(from) && !is_buy(to) && to != Side::invalid);
}

}  // namespace

Gate::Gate(PolicyExchange& policies, const GateConfig& config)
    : policies_(policies),
      policy_(policies.acquire()),
      config_(config),
      ns_per_tsc_q32_(
          static_cast<uint64_t>((static_cast<u128>(1'000'000'000) << 32) / config.tsc_hz)),
      ledger_(config.capacity) {
  assert(config.tsc_hz > 0 && config.read_tsc != nullptr);
}

GateResult Gate::decide(const OrderIntent& in, const MarketView& market, SafetyView safety,
                        uint64_t account_kill_mask, uint64_t now_ns) {
  GateResult r;
  std::memset(&r, 0, sizeof r);
  r.sequence = ++sequence_;
  r.rx_tsc = in.rx_tsc;
  r.symbol = in.symbol;
  r.shares = in.shares;
  r.price = in.price;
  r.notional = uint64_t{in.shares} * in.price;
  r.policy_version = static_cast<uint32_t>(policy_->version());
  std::memcpy(r.token, in.token.data(), kTokenBytes);
  if (in.kind == IntentKind::replace) std::memcpy(r.existing, in.existing.data(), kTokenBytes);
  r.session = in.session;
  r.locate = in.locate;
  r.account = in.account;
  r.kind = static_cast<uint8_t>(in.kind);
  r.side = static_cast<uint8_t>(in.side);
  r.first_failed = kNoCheck;
  r.safety_mode = static_cast<uint8_t>(safety.mode);
  const bool account_killed = in.account < kMaxAccounts && ((account_kill_mask >> in.account) & 1);
  r.flags = static_cast<uint8_t>((safety.kill ? kFlagGlobalKill : 0) |
                                 (account_killed ? kFlagAccountKill : 0));

  bool consume_on_reject = false;  // a new token that passed token_unique: used up by a Rejected
  // Records a failing check; returns false so that call sites read "if (!ok) return finish()".
  auto failed = [&](Check c, Decision d, uint64_t seen, uint64_t limit) {
    r.checks_failed |= bit(c);
    r.first_failed = static_cast<uint8_t>(c);
    r.seen = seen;
    r.limit = limit;
    r.decision = static_cast<uint8_t>(d);
    r.reject_reason = d == Decision::ignore ? 0 : ouch_reject_reason(c);
  };
  auto run = [&](Check c) { r.checks_ran |= bit(c); };
  auto finish = [&]() -> GateResult {
    const auto d = static_cast<Decision>(r.decision);
    if (consume_on_reject && (d == Decision::fail || d == Decision::unknown))
      ledger_.consume_token(in.session, in.token);  // full table: the Rejected still goes out
    counters_.decisions[r.decision].inc();
    if (r.first_failed != kNoCheck) counters_.failed[r.first_failed].inc();
    r.decision_tsc = config_.read_tsc();
    const uint64_t ticks = r.decision_tsc > r.rx_tsc ? r.decision_tsc - r.rx_tsc : 0;
    r.latency_ns = static_cast<uint64_t>((static_cast<u128>(ticks) * ns_per_tsc_q32_) >> 32);
    return r;
  };

  run(Check::session_valid);
  if (in.session >= kMaxSessions) {
    failed(Check::session_valid, Decision::fail, in.session, kMaxSessions - 1);
    return finish();
  }

  // --- cancels: only "is it ours and open" and EMERGENCY_STOP; no limit ever applies ---------
  if (in.kind == IntentKind::cancel) {
    run(Check::order_known);
    const uint32_t slot = ledger_.find(in.session, in.token);
    const OrderState st = slot == kNoSlot ? OrderState::empty : ledger_.order(slot).state;
    if (st == OrderState::empty || st == OrderState::closed) {
      failed(Check::order_known, Decision::ignore, static_cast<uint64_t>(st), 0);
      return finish();
    }
    const OrderEntry& o = ledger_.order(slot);
    r.symbol = o.symbol;
    r.locate = o.locate;
    r.side = static_cast<uint8_t>(o.side);
    r.notional = uint64_t{in.shares} * o.price;
    run(Check::safety_mode);
    if (safety.mode == SafetyMode::emergency_stop) {
      failed(Check::safety_mode, Decision::fail, r.safety_mode,
             static_cast<uint64_t>(SafetyMode::safe));
      return finish();
    }
    r.decision = static_cast<uint8_t>(Decision::pass);
    return finish();
  }

  uint64_t symbol = in.symbol;
  uint16_t locate = in.locate;
  Side side = in.side;
  uint8_t account = in.account;
  uint32_t price = in.price;
  uint32_t existing = kNoSlot;
  // The open order a replace or modify changes; it takes on its symbol, side and account.
  // OUCH ignores either for an order that is not live, and so do we (IGNORE: nullptr). One
  // change at a time per order: a second would name a token the venue no longer holds.
  auto order_to_change = [&](const OrderToken& token) -> const OrderEntry* {
    run(Check::order_known);
    existing = ledger_.find(in.session, token);
    const OrderState st = existing == kNoSlot ? OrderState::empty : ledger_.order(existing).state;
    const bool open = st == OrderState::pending_new || st == OrderState::live;
    if (!open || ledger_.order(existing).link != kNoSlot) {
      failed(Check::order_known, Decision::ignore, static_cast<uint64_t>(st), 0);
      return nullptr;
    }
    const OrderEntry& o = ledger_.order(existing);
    symbol = o.symbol;
    locate = o.locate;
    side = o.side;
    account = o.account;
    r.symbol = symbol;
    r.locate = locate;
    return &o;
  };

  if (in.kind == IntentKind::modify) {
    // --- modifies: a smaller size or a re-marked sell side takes no risk, so it goes like a
    // cancel (no limit, only EMERGENCY_STOP stops it); a larger size is new risk and runs
    // every check below, as an order of the new size at the order's price would. ------------
    const OrderEntry* changed = order_to_change(in.token);
    if (changed == nullptr) return finish();
    const OrderEntry& o = *changed;
    price = o.price;
    r.price = price;
    r.notional = uint64_t{in.shares} * price;
    uint64_t add_shares = 0, add_notional = 0;
    ledger_.replace_delta(existing, in.shares, price, add_shares, add_notional);
    if (add_shares == 0) {
      run(Check::safety_mode);
      if (safety.mode == SafetyMode::emergency_stop) {
        failed(Check::safety_mode, Decision::fail, r.safety_mode,
               static_cast<uint64_t>(SafetyMode::safe));
        return finish();
      }
      run(Check::order_fields);
      if (!side_change_ok(o.side, in.side)) {
        failed(Check::order_fields, Decision::fail, static_cast<uint64_t>(in.side),
               static_cast<uint64_t>(o.side));
        return finish();
      }
      if (in.shares == 0) {
        failed(Check::order_fields, Decision::fail, in.shares, kMaxOrderShares);
        return finish();
      }
      r.decision = static_cast<uint8_t>(Decision::pass);
      return finish();
    }
  } else {
    // --- new orders and replaces -------------------------------------------------------------
    run(Check::token_unique);
    if (ledger_.find(in.session, in.token) != kNoSlot) {
      failed(Check::token_unique, Decision::ignore, 1, 0);
      return finish();
    }
    if (ledger_.orders_full()) {
      failed(Check::token_unique, Decision::fail, ledger_.order_count(), ledger_.order_limit());
      return finish();
    }
    consume_on_reject = true;
  }
  if (in.kind == IntentKind::replace) {
    if (order_to_change(in.existing) == nullptr) {
      consume_on_reject = false;  // not answered, so not consumed
      return finish();
    }
    r.side = static_cast<uint8_t>(side);
  }

  run(Check::safety_mode);
  if (safety.mode >= SafetyMode::safe) {
    failed(Check::safety_mode, Decision::fail, r.safety_mode,
           static_cast<uint64_t>(SafetyMode::degraded));
    return finish();
  }
  run(Check::kill_global);
  if (safety.kill) {
    failed(Check::kill_global, Decision::fail, 1, 0);
    return finish();
  }
  run(Check::kill_account);
  if (account >= kMaxAccounts || ((account_kill_mask >> account) & 1)) {
    failed(Check::kill_account, Decision::fail, 1, 0);
    return finish();
  }
  run(Check::account_known);
  const AccountPolicy* acct = policy_->account(account);
  if (acct == nullptr) {
    failed(Check::account_known, Decision::fail, account, 0);
    return finish();
  }
  const AccountLimits& lim = acct->limits;

  run(Check::order_fields);
  const uint32_t executed = existing != kNoSlot ? ledger_.order(existing).executed : 0;
  if (in.kind == IntentKind::modify && !side_change_ok(side, in.side)) {
    failed(Check::order_fields, Decision::fail, static_cast<uint64_t>(in.side),
           static_cast<uint64_t>(side));
    return finish();
  }
  if (side == Side::invalid) {
    failed(Check::order_fields, Decision::fail, static_cast<uint64_t>(side),
           static_cast<uint64_t>(Side::short_exempt));
    return finish();
  }
  if (in.shares == 0 || in.shares > kMaxOrderShares) {
    failed(Check::order_fields, Decision::fail, in.shares, kMaxOrderShares);
    return finish();
  }
  if (in.shares <= executed) {  // a replace must leave something open
    failed(Check::order_fields, Decision::fail, in.shares, uint64_t{executed} + 1);
    return finish();
  }
  if (price == 0 || price > kMaxOrderPrice) {
    failed(Check::order_fields, Decision::fail, price, kMaxOrderPrice);
    return finish();
  }

  run(Check::instrument_allowed);
  const InstrumentLimits* inst = policy_->instrument(account, symbol);
  if (inst == nullptr) {
    failed(Check::instrument_allowed, Decision::fail, 0, 1);
    return finish();
  }

  run(Check::max_shares);
  if (in.shares > lim.max_shares_per_order) {
    failed(Check::max_shares, Decision::fail, in.shares, lim.max_shares_per_order);
    return finish();
  }
  run(Check::max_notional);
  if (r.notional > lim.max_order_notional) {
    failed(Check::max_notional, Decision::fail, r.notional, lim.max_order_notional);
    return finish();
  }

  run(Check::feed_state);
  MarketSample m;
  market.sample(locate, m);
  if (m.feed != FeedHealth::healthy) {
    failed(Check::feed_state, Decision::unknown, static_cast<uint64_t>(m.feed),
           static_cast<uint64_t>(FeedHealth::healthy));
    return finish();
  }
  run(Check::reference_fresh);
  // seen/limit: age and max age in ns; a missing or flagged reference reports age UINT64_MAX.
  const uint64_t max_age = policy_->reference_max_age_ns();
  if (!m.read_ok || (m.value.flags & (book::kRefBookUnknown | book::kRefStale)) != 0) {
    failed(Check::reference_fresh, Decision::unknown, UINT64_MAX, max_age);
    return finish();
  }
  const uint64_t age = now_ns > m.value.rx_ns ? now_ns - m.value.rx_ns : 0;
  if (age > max_age) {
    failed(Check::reference_fresh, Decision::unknown, age, max_age);
    return finish();
  }
  const uint32_t ref = reference_price(m.value, policy_->reference_source());
  if (ref == 0) {
    failed(Check::reference_fresh, Decision::unknown, UINT64_MAX, max_age);
    return finish();
  }
  r.reference_price = ref;

  run(Check::price_collar);
  {
    // |price - ref| / ref <= bps / 10000, in integers; seen is the distance rounded up.
    const uint64_t diff = price > ref ? price - ref : ref - price;
    const uint64_t scaled = diff * 10'000;
    if (scaled > uint64_t{lim.price_collar_bps} * ref) {
      failed(Check::price_collar, Decision::fail, (scaled + ref - 1) / ref, lim.price_collar_bps);
      return finish();
    }
  }

  run(Check::open_orders);
  const AccountTotals& totals = ledger_.account(account);
  const uint64_t open_after = totals.open_orders + (existing == kNoSlot ? 1 : 0);
  if (open_after > lim.max_open_orders) {
    failed(Check::open_orders, Decision::fail, open_after, lim.max_open_orders);
    return finish();
  }

  // What this order adds to its position: all of it for a new order; for a replace or modify,
  // what the new size and price add over the order they change (the ledger reserves the same).
  uint64_t add_shares = in.shares;
  uint64_t add_notional = r.notional;
  if (existing != kNoSlot)
    ledger_.replace_delta(existing, in.shares, price, add_shares, add_notional);
  const uint32_t pslot = ledger_.find_position(account, symbol);
  Position none;
  if (pslot == kNoSlot && ledger_.positions_full()) {
    run(Check::position_instrument);
    failed(Check::position_instrument, Decision::fail, ledger_.position_count(),
           ledger_.position_limit());
    return finish();
  }
  const Position& p = pslot == kNoSlot ? none : ledger_.position(pslot);

  run(Check::position_instrument);
  const uint64_t worst_after =
      Ledger::worst_shares(p.net_shares, p.open_buy_shares + (is_buy(side) ? add_shares : 0),
                           p.open_sell_shares + (is_buy(side) ? 0 : add_shares));
  if (worst_after > inst->max_position_shares) {
    failed(Check::position_instrument, Decision::fail, worst_after, inst->max_position_shares);
    return finish();
  }
  run(Check::position_account);
  const uint64_t account_worst = totals.worst_shares - p.worst_shares + worst_after;
  if (account_worst > lim.max_account_position_shares) {
    failed(Check::position_account, Decision::fail, account_worst, lim.max_account_position_shares);
    return finish();
  }
  run(Check::exposure_instrument);
  const uint64_t exposure_after = p.exposure + add_notional;
  if (exposure_after > inst->max_gross_exposure) {
    failed(Check::exposure_instrument, Decision::fail, exposure_after, inst->max_gross_exposure);
    return finish();
  }
  run(Check::exposure_account);
  const uint64_t account_exposure = totals.exposure + add_notional;
  if (account_exposure > lim.max_account_gross_exposure) {
    failed(Check::exposure_account, Decision::fail, account_exposure,
           lim.max_account_gross_exposure);
    return finish();
  }

  // GCRA token bucket: an order conforms when tat <= now + (burst - 1) x interval. seen: tokens
  // available before this order (it needs one); limit: the burst.
  run(Check::order_rate);
  {
    Bucket& b = buckets_[in.session];
    const uint64_t interval = 1'000'000'000 / lim.order_rate_per_s;
    const uint64_t tolerance = uint64_t{lim.order_burst - 1} * interval;
    const uint64_t start = b.tat_ns > now_ns ? b.tat_ns : now_ns;
    const uint64_t room = now_ns + tolerance + interval - start;  // start <= now + tol + int
    const uint64_t available =
        start > now_ns + tolerance ? 0 : std::min<uint64_t>(room / interval, lim.order_burst);
    if (available == 0) {
      failed(Check::order_rate, Decision::fail, 0, lim.order_burst);
      return finish();
    }
    b.tat_ns = start + interval;
  }

  if (in.kind == IntentKind::modify) {
    ledger_.add_modify(existing, in.shares);
  } else {
    const uint32_t slot =
        existing == kNoSlot ? ledger_.add_order(in) : ledger_.add_replace(in, existing);
    assert(slot != kNoSlot);  // both tables were checked above
    (void)slot;
  }
  r.decision = static_cast<uint8_t>(Decision::pass);
  return finish();
}

}  // namespace sy::risk
