#include "perf/traffic/order_flow.hpp"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "perf/traffic/rng.hpp"
#include "src/proto/ouch42.hpp"
#include "src/proto/ufo.hpp"

namespace sy::traffic {

namespace {

constexpr uint32_t kOuchMaxShares = 999'999;

struct Limits {
  uint32_t max_shares;
  uint64_t max_notional;
  uint32_t collar_bps;

  bool breaks_shares(uint32_t shares) const { return shares > max_shares; }
  bool breaks_notional(uint32_t price, uint32_t shares) const {
    return uint64_t{price} * shares > max_notional;
  }
  bool breaks_collar(uint32_t price, uint32_t ref) const {
    const uint64_t diff = price > ref ? price - ref : ref - price;
    return diff * 10'000 > uint64_t{collar_bps} * ref;
  }
  // Largest price distance from `ref` still inside the collar.
  uint32_t max_delta(uint32_t ref) const {
    return static_cast<uint32_t>(uint64_t{collar_bps} * ref / 10'000);
  }
  uint32_t max_clean_shares(uint32_t price) const {
    return static_cast<uint32_t>(std::min<uint64_t>(max_shares, max_notional / price));
  }
};

struct Resting {
  proto::OuchToken token;
  uint32_t instrument;
  uint8_t side;
  uint32_t shares;
};

struct Pending {
  uint64_t due;  // index of the enter after which it is sent
  FlowKind kind;
  Resting order;
};

class Builder {
 public:
  Builder(const OrderFlowSpec& spec) : spec_(spec) {}

  proto::OuchToken next_token() {
    char buf[16];
    std::snprintf(buf, sizeof buf, "OF%012llu", static_cast<unsigned long long>(++tokens_));
    return proto::make_token(buf);
  }

  template <class M>
  void add_ouch(FlowKind kind, const M& m) {
    uint8_t msg[proto::kOuchMaxLen];
    const size_t n = proto::encode(m, msg, sizeof msg);
    uint8_t buf[proto::kUfoMaxPacket];
    proto::UfoUpWriter w(buf, sizeof buf);
    w.add_unsequenced({msg, n});
    push(kind, buf, w.size());
  }

  void add_login() {
    uint8_t buf[64];
    proto::UfoUpWriter w(buf, sizeof buf);
    w.add_login({proto::make_ufo_username(spec_.username), proto::make_ufo_password(spec_.password),
                 proto::make_ufo_session("")});
    push(FlowKind::login, buf, w.size());
  }

  std::vector<FlowDatagram> take() { return std::move(out_); }

 private:
  void push(FlowKind kind, const uint8_t* p, size_t n) {
    FlowDatagram d;
    d.timestamp_ns = spec_.start_ns + out_.size() * spec_.interval_ns;
    d.kind = kind;
    d.payload.assign(p, p + n);
    out_.push_back(std::move(d));
  }

  const OrderFlowSpec& spec_;
  uint64_t tokens_ = 0;
  std::vector<FlowDatagram> out_;
};

proto::EnterOrder make_enter(const proto::OuchToken& token, uint8_t side, uint32_t shares,
                             const std::string& symbol, uint32_t price) {
  proto::EnterOrder o{};
  o.token = token;
  o.side = side;
  o.shares = shares;
  o.stock = proto::make_stock(symbol);
  o.price = price;
  o.time_in_force = proto::kOuchTifMarketHours;
  o.firm = proto::make_firm("");
  o.display = 'Y';
  o.capacity = 'A';
  o.intermarket_sweep = 'N';
  o.minimum_quantity = 0;
  o.cross_type = 'N';
  o.has_customer_type = true;
  o.customer_type = ' ';
  return o;
}

}  // namespace

nlohmann::json OrderFlowTruth::to_json() const {
  return {{"seed", seed},
          {"datagrams", datagrams},
          {"logins", logins},
          {"enters", enters},
          {"cancels", cancels},
          {"replaces", replaces},
          {"clean", clean},
          {"breaching", breaching},
          {"breach_shares", breach_shares},
          {"breach_notional", breach_notional},
          {"breach_collar", breach_collar},
          {"expect_executed", expect_executed},
          {"expect_executed_shares", expect_executed_shares},
          {"expect_canceled", expect_canceled},
          {"expect_canceled_shares", expect_canceled_shares},
          {"expect_replaced", expect_replaced},
          {"expect_resting", expect_resting},
          {"expect_resting_shares", expect_resting_shares}};
}

OrderFlow generate_order_flow(const OrderFlowSpec& spec) {
  if (spec.instruments.empty()) throw std::invalid_argument("order flow: no instruments");
  uint32_t highest = 0;
  for (const auto& i : spec.instruments) {
    if (i.reference_price == 0 || i.reference_price > proto::kOuchMaxPrice)
      throw std::invalid_argument("order flow: reference price of " + i.symbol + " must be in 1.." +
                                  std::to_string(proto::kOuchMaxPrice));
    highest = std::max(highest, i.reference_price);
  }
  if (spec.cross_percent > 100 || spec.cancel_percent > 100 || spec.replace_percent > 100 ||
      spec.breach_percent > 100 || spec.cancel_percent + spec.replace_percent > 100)
    throw std::invalid_argument("order flow: percents must be 0..100 and cancel + replace <= 100");
  if (spec.collar_bps == 0) throw std::invalid_argument("order flow: collar_bps must be >= 1");
  if (spec.max_shares == 0 || spec.max_shares >= kOuchMaxShares)
    throw std::invalid_argument("order flow: max_shares must be 1..999998");
  // A clean order at the top of the collar of the dearest instrument must afford one share.
  const uint64_t top = uint64_t{highest} + uint64_t{spec.collar_bps} * highest / 10'000;
  if (spec.max_notional < top)
    throw std::invalid_argument("order flow: max_notional below one share at the top of a collar");

  const Limits lim{spec.max_shares, spec.max_notional, spec.collar_bps};
  SplitMix64 rng(spec.seed);
  Builder b(spec);
  OrderFlow flow;
  OrderFlowTruth& t = flow.truth;
  t.seed = spec.seed;
  std::vector<Pending> pending;
  std::vector<Resting> resting_left;  // rest to the end of the flow

  b.add_login();
  ++t.logins;

  auto flush = [&](uint64_t upto) {
    for (auto it = pending.begin(); it != pending.end();) {
      if (it->due > upto) {
        ++it;
        continue;
      }
      const Resting& r = it->order;
      const OrderFlowInstrument& inst = spec.instruments[r.instrument];
      if (it->kind == FlowKind::cancel) {
        proto::CancelOrder c{};
        c.token = r.token;
        c.shares = 0;
        b.add_ouch(FlowKind::cancel, c);
        ++t.cancels;
        ++t.expect_canceled;
        t.expect_canceled_shares += r.shares;
      } else {
        // A new resting price on the same side, shares within the limits at that price.
        const uint32_t ref = inst.reference_price;
        const uint32_t delta =
            1 + static_cast<uint32_t>(rng.below(std::max(1u, lim.max_delta(ref))));
        const uint32_t price = r.side == 'B' ? ref - std::min(delta, ref - 1) : ref + delta;
        const uint32_t shares = 1 + static_cast<uint32_t>(rng.below(lim.max_clean_shares(price)));
        proto::ReplaceOrder u{};
        u.existing_token = r.token;
        u.replacement_token = b.next_token();
        u.shares = shares;
        u.price = price;
        u.time_in_force = proto::kOuchTifMarketHours;
        u.display = 'Y';
        u.intermarket_sweep = 'N';
        u.minimum_quantity = 0;
        b.add_ouch(FlowKind::replace, u);
        ++t.replaces;
        ++t.expect_replaced;
        resting_left.push_back({u.replacement_token, r.instrument, r.side, shares});
      }
      it = pending.erase(it);
    }
  };

  for (uint64_t i = 0; i < spec.orders; ++i) {
    const auto inst_index = static_cast<uint32_t>(rng.below(spec.instruments.size()));
    const OrderFlowInstrument& inst = spec.instruments[inst_index];
    const uint32_t ref = inst.reference_price;
    const uint8_t side = rng.below(2) == 0 ? 'B' : 'S';
    const uint32_t max_delta = lim.max_delta(ref);
    const proto::OuchToken token = b.next_token();
    uint32_t price = 0;
    uint32_t shares = 0;
    bool crosses = false;
    if (rng.below(100) < spec.breach_percent) {
      switch (t.breaching % 3) {
        case 0:  // shares above the limit, a clean resting price
          price = side == 'B' ? ref - std::min(max_delta, ref - 1) : ref + max_delta;
          shares = std::min<uint32_t>(kOuchMaxShares,
                                      spec.max_shares + 1 + static_cast<uint32_t>(rng.below(100)));
          break;
        case 1: {  // notional above the limit: as many shares as it takes, at the reference
          price = ref;
          const uint64_t need = spec.max_notional / price + 1;
          shares = static_cast<uint32_t>(std::min<uint64_t>(kOuchMaxShares, need));
          break;
        }
        default: {  // outside the collar, one share
          const uint32_t out = max_delta + 1 + static_cast<uint32_t>(rng.below(max_delta + 1));
          price = side == 'B' ? ref + out : (ref > out ? ref - out : 1);
          shares = 1;
          break;
        }
      }
    } else {
      crosses = rng.below(100) < spec.cross_percent;
      const uint32_t delta = crosses
                                 ? static_cast<uint32_t>(rng.below(uint64_t{max_delta} + 1))
                                 : 1 + static_cast<uint32_t>(rng.below(std::max(1u, max_delta)));
      const bool above = (side == 'B') == crosses;
      price =
          above ? ref + std::min(delta, max_delta) : ref - std::min({delta, max_delta, ref - 1});
      shares = 1 + static_cast<uint32_t>(rng.below(lim.max_clean_shares(price)));
    }
    b.add_ouch(FlowKind::enter, make_enter(token, side, shares, inst.symbol, price));
    ++t.enters;
    const bool bs = lim.breaks_shares(shares);
    const bool bn = lim.breaks_notional(price, shares);
    const bool bc = lim.breaks_collar(price, ref);
    t.breach_shares += bs;
    t.breach_notional += bn;
    t.breach_collar += bc;
    if (bs || bn || bc) {
      ++t.breaching;
    } else {
      ++t.clean;
      const bool executes = side == 'B' ? price >= ref : price <= ref;
      if (executes) {
        ++t.expect_executed;
        t.expect_executed_shares += shares;
      } else {
        const Resting r{token, inst_index, side, shares};
        const uint64_t fate = rng.below(100);
        const uint64_t due = i + 1 + rng.below(8);
        if (fate < spec.cancel_percent) {
          pending.push_back({due, FlowKind::cancel, r});
        } else if (fate < spec.cancel_percent + spec.replace_percent) {
          pending.push_back({due, FlowKind::replace, r});
        } else {
          resting_left.push_back(r);
        }
      }
    }
    flush(i);
  }
  flush(UINT64_MAX);
  for (const Resting& r : resting_left) {
    ++t.expect_resting;
    t.expect_resting_shares += r.shares;
  }
  flow.datagrams = b.take();
  t.datagrams = flow.datagrams.size();
  return flow;
}

}  // namespace sy::traffic
