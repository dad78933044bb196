#include "perf/traffic/venue_sim.hpp"

#include <cstring>

namespace sy::traffic {

using proto::OuchToken;

namespace {

constexpr uint64_t kNsPerDay = 86'400'000'000'000ULL;
constexpr uint32_t kMaxShares = 999'999;

uint64_t fnv1a(const OuchToken& t) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : t) h = (h ^ static_cast<uint8_t>(c)) * 0x100000001b3ULL;
  return h;
}

bool is_sell(uint8_t side) { return side == 'S' || side == 'T' || side == 'E'; }

}  // namespace

VenueSim::VenueSim(const VenueConfig& config)
    : cfg_(config),
      session_(config.session),
      next_order_reference_(config.first_order_reference),
      next_match_number_(config.first_match_number) {
  size_t n = 16;
  while (n < size_t{cfg_.max_orders} * 2) n *= 2;  // load factor <= 1/2
  orders_.assign(n, Order{});
  executions_.assign(cfg_.max_orders, Execution{});
}

VenueSim::Execution* VenueSim::execution(uint64_t match) {
  Execution& x = executions_[match % executions_.size()];
  return x.match == match && !x.broken && x.shares > 0 ? &x : nullptr;
}

template <class M, class Amend>
bool VenueSim::amend(uint64_t now_ns, uint64_t match, std::vector<session::TxDatagram>& out,
                     Amend&& fill) {
  Execution* x = execution(match);
  if (x == nullptr) return false;
  M m{};
  m.timestamp_ns = now_ns % kNsPerDay;
  m.token = x->token;
  m.match_number = match;
  fill(m, *x);
  send(now_ns, m, out);
  return true;
}

bool VenueSim::break_trade(uint64_t now_ns, uint64_t match, uint8_t reason,
                           std::vector<session::TxDatagram>& out) {
  return amend<proto::BrokenTrade>(now_ns, match, out, [&](proto::BrokenTrade& b, Execution& x) {
    b.reason = reason;
    x.broken = true;
    ++counts_.broken;
  });
}

bool VenueSim::correct_trade(uint64_t now_ns, uint64_t match, uint32_t shares, uint32_t price,
                             std::vector<session::TxDatagram>& out) {
  return amend<proto::TradeCorrection>(now_ns, match, out,
                                       [&](proto::TradeCorrection& c, Execution& x) {
                                         c.executed_shares = x.shares = shares;
                                         c.execution_price = x.price = price;
                                         c.liquidity_flag = 'R';
                                         c.reason = 'N';
                                         ++counts_.corrected;
                                       });
}

bool VenueSim::correct_price(uint64_t now_ns, uint64_t match, uint32_t price,
                             std::vector<session::TxDatagram>& out) {
  return amend<proto::PriceCorrection>(now_ns, match, out,
                                       [&](proto::PriceCorrection& c, Execution& x) {
                                         c.new_execution_price = x.price = price;
                                         c.reason = 'E';
                                         ++counts_.corrected;
                                       });
}

VenueSim::Order* VenueSim::find(const OuchToken& token) {
  const size_t mask = orders_.size() - 1;
  for (size_t i = fnv1a(token) & mask;; i = (i + 1) & mask) {
    Order& o = orders_[i];
    if (!o.used) return nullptr;
    if (o.token == token) return &o;
  }
}

VenueSim::Order* VenueSim::insert(const OuchToken& token) {
  if (used_ >= cfg_.max_orders) return nullptr;
  const size_t mask = orders_.size() - 1;
  for (size_t i = fnv1a(token) & mask;; i = (i + 1) & mask) {
    Order& o = orders_[i];
    if (!o.used) {
      o = Order{};
      o.token = token;
      o.used = true;
      ++used_;
      return &o;
    }
  }
}

const VenueInstrument* VenueSim::instrument(const proto::OuchStock& stock) const {
  for (const auto& i : cfg_.instruments)
    if (i.stock == stock) return &i;
  return nullptr;
}

uint64_t VenueSim::resting_orders() const {
  uint64_t n = 0;
  for (const auto& o : orders_) n += o.used && o.live;
  return n;
}

uint64_t VenueSim::resting_shares() const {
  uint64_t n = 0;
  for (const auto& o : orders_)
    if (o.used && o.live) n += o.remaining;
  return n;
}

void VenueSim::append(const session::Output& o, std::vector<session::TxDatagram>& out) {
  for (uint32_t i = 0; i < o.n_tx; ++i) out.push_back(o.tx[i]);
}

template <class M>
void VenueSim::send(uint64_t now_ns, const M& m, std::vector<session::TxDatagram>& out) {
  uint8_t msg[proto::kOuchMaxLen];
  const size_t n = proto::encode(m, msg, sizeof msg);
  session::TxDatagram d;
  const session::SendResult r = session_.send_sequenced(now_ns, {msg, n}, d.bytes, sizeof d.bytes);
  if (r.status == session::SendStatus::sent) {
    d.dst = session_.peer();
    d.len = static_cast<uint16_t>(r.len);
    out.push_back(d);
  } else if (r.status != session::SendStatus::retained_only) {
    ++counts_.unsent;
  }
}

session::Verdict VenueSim::on_datagram(uint64_t now_ns, const session::Endpoint& src,
                                       const uint8_t* p, size_t len,
                                       std::vector<session::TxDatagram>& out) {
  if (cfg_.silent_about_lost) {
    proto::UfoUpReader r(p, len);
    proto::UfoUpMessage m{};
    if (r.next(m) && m.kind == proto::UfoUpKind::retransmission_request &&
        m.retrans.sequence < session_.oldest_retained()) {
      ++counts_.unanswered_requests;
      return session::Verdict::ok;
    }
  }
  const session::Verdict v = session_.on_datagram(now_ns, src, p, len, scratch_);
  // Login replies and retransmissions first, then the answers to the orders in the datagram.
  append(scratch_, out);
  // The events point into `p`, which outlives this call; copy them out of the scratch output
  // first because sending reuses nothing of it (send_sequenced writes into `out`).
  for (uint32_t i = 0; i < scratch_.n_events; ++i) {
    const session::Event& e = scratch_.events[i];
    if (e.kind == session::EventKind::message) on_message(now_ns, e.data, e.len, out);
  }
  return v;
}

void VenueSim::poll(uint64_t now_ns, std::vector<session::TxDatagram>& out) {
  session_.poll(now_ns, scratch_);
  append(scratch_, out);
}

void VenueSim::on_message(uint64_t now_ns, const uint8_t* p, size_t len,
                          std::vector<session::TxDatagram>& out) {
  proto::OuchClientMessage m;
  proto::OeError error{};
  if (!proto::decode_client(p, len, m, error)) {
    ++counts_.undecodable;
    return;
  }
  switch (m.type) {
    case proto::OuchClientType::enter_order:
      enter(now_ns, m.enter_order, out);
      break;
    case proto::OuchClientType::cancel_order:
      cancel(now_ns, m.cancel_order, out);
      break;
    case proto::OuchClientType::replace_order:
      replace(now_ns, m.replace_order, out);
      break;
    case proto::OuchClientType::modify_order:
      modify(now_ns, m.modify_order, out);
      break;
  }
}

void VenueSim::reject(uint64_t now_ns, const OuchToken& token, uint8_t reason,
                      std::vector<session::TxDatagram>& out) {
  proto::Rejected r{};
  r.timestamp_ns = now_ns % kNsPerDay;
  r.token = token;
  r.reason = reason;
  ++counts_.rejected;
  ++counts_.rejected_by_reason[reason];
  send(now_ns, r, out);
}

bool VenueSim::maybe_execute(uint64_t now_ns, Order& o, std::vector<session::TxDatagram>& out) {
  const bool crosses =
      is_sell(o.side) ? o.price <= o.reference_price : o.price >= o.reference_price;
  if (!crosses) return false;
  proto::Executed e{};
  e.timestamp_ns = now_ns % kNsPerDay;
  e.token = o.token;
  e.executed_shares = o.remaining;
  e.execution_price = o.reference_price;
  e.liquidity_flag = 'R';
  e.match_number = next_match_number_++;
  executions_[e.match_number % executions_.size()] =
      Execution{e.match_number, o.token, o.remaining, o.reference_price, false};
  ++counts_.executed;
  counts_.executed_shares += o.remaining;
  o.remaining = 0;
  o.live = false;
  send(now_ns, e, out);
  return true;
}

void VenueSim::enter(uint64_t now_ns, const proto::EnterOrder& m,
                     std::vector<session::TxDatagram>& out) {
  if (find(m.token) != nullptr) {
    ++counts_.ignored;  // a used token: a re-sent Enter Order
    return;
  }
  ++counts_.enters;
  Order* o = insert(m.token);
  if (o == nullptr) return reject(now_ns, m.token, 'O', out);
  const std::string_view prefix = cfg_.reject_token_prefix;
  const bool prefix_hit =
      !prefix.empty() &&
      std::string_view(m.token.data(), m.token.size()).substr(0, prefix.size()) == prefix;
  bool stock_hit = false;
  for (const auto& s : cfg_.reject_stocks) stock_hit |= s == m.stock;
  if (prefix_hit || stock_hit) return reject(now_ns, m.token, cfg_.reject_reason, out);
  const VenueInstrument* inst = instrument(m.stock);
  if (inst == nullptr) return reject(now_ns, m.token, 'S', out);
  if (m.shares == 0 || m.shares > kMaxShares) return reject(now_ns, m.token, 'Z', out);
  if (m.price == 0 || (m.price > proto::kOuchMaxPrice && m.price != proto::kOuchMarketPrice))
    return reject(now_ns, m.token, 'X', out);

  o->stock = m.stock;
  o->side = m.side;
  o->price = m.price;
  o->remaining = m.shares;
  o->reference_price = inst->reference_price;
  o->live = true;
  proto::Accepted a{};
  a.timestamp_ns = now_ns % kNsPerDay;
  a.token = m.token;
  a.side = m.side;
  a.shares = m.shares;
  a.stock = m.stock;
  a.price = m.price;
  a.time_in_force = m.time_in_force;
  a.firm = m.firm;
  a.display = m.display;
  a.order_reference = next_order_reference_++;
  a.capacity = m.capacity;
  a.intermarket_sweep = m.intermarket_sweep;
  a.minimum_quantity = m.minimum_quantity;
  a.cross_type = m.cross_type;
  a.order_state = 'L';
  a.bbo_weight = ' ';
  ++counts_.accepted;
  send(now_ns, a, out);
  if (maybe_execute(now_ns, *o, out)) return;
  if (m.time_in_force == proto::kOuchTifIoc) {
    proto::Canceled c{};
    c.timestamp_ns = now_ns % kNsPerDay;
    c.token = m.token;
    c.decrement_shares = o->remaining;
    c.reason = 'I';
    ++counts_.canceled;
    counts_.canceled_shares += o->remaining;
    o->remaining = 0;
    o->live = false;
    send(now_ns, c, out);
  }
}

void VenueSim::cancel(uint64_t now_ns, const proto::CancelOrder& m,
                      std::vector<session::TxDatagram>& out) {
  Order* o = find(m.token);
  if (o == nullptr || !o->live || m.shares >= o->remaining) {
    ++counts_.ignored;
    return;
  }
  proto::Canceled c{};
  c.timestamp_ns = now_ns % kNsPerDay;
  c.token = m.token;
  c.decrement_shares = o->remaining - m.shares;
  c.reason = 'U';
  ++counts_.canceled;
  counts_.canceled_shares += c.decrement_shares;
  o->remaining = m.shares;
  o->live = o->remaining != 0;
  send(now_ns, c, out);
}

void VenueSim::replace(uint64_t now_ns, const proto::ReplaceOrder& m,
                       std::vector<session::TxDatagram>& out) {
  Order* old = find(m.existing_token);
  if (old == nullptr || !old->live || find(m.replacement_token) != nullptr || m.shares == 0 ||
      m.shares > kMaxShares) {
    ++counts_.ignored;
    return;
  }
  const Order prev = *old;
  Order* o = insert(m.replacement_token);
  if (o == nullptr) {
    ++counts_.ignored;
    return;
  }
  old = find(m.existing_token);  // insert never moves slots, but keep the lookup explicit
  old->live = false;
  old->remaining = 0;
  o->stock = prev.stock;
  o->side = prev.side;
  o->price = m.price;
  o->remaining = m.shares;
  o->reference_price = prev.reference_price;
  o->live = true;
  proto::Replaced r{};
  r.timestamp_ns = now_ns % kNsPerDay;
  r.replacement_token = m.replacement_token;
  r.side = prev.side;
  r.shares = m.shares;
  r.stock = prev.stock;
  r.price = m.price;
  r.time_in_force = m.time_in_force;
  r.firm = proto::make_firm("");
  r.display = m.display;
  r.order_reference = next_order_reference_++;
  r.capacity = 'A';
  r.intermarket_sweep = m.intermarket_sweep;
  r.minimum_quantity = m.minimum_quantity;
  r.cross_type = 'N';
  r.order_state = 'L';
  r.previous_token = m.existing_token;
  r.bbo_weight = ' ';
  ++counts_.replaced;
  send(now_ns, r, out);
  maybe_execute(now_ns, *o, out);
}

void VenueSim::modify(uint64_t now_ns, const proto::ModifyOrder& m,
                      std::vector<session::TxDatagram>& out) {
  Order* o = find(m.token);
  if (o == nullptr || !o->live || m.shares == 0 ||
      !(m.side == o->side || (is_sell(m.side) && is_sell(o->side)))) {
    ++counts_.ignored;
    return;
  }
  o->side = m.side;
  o->remaining = m.shares;
  proto::OrderModified r{};
  r.timestamp_ns = now_ns % kNsPerDay;
  r.token = m.token;
  r.side = m.side;
  r.shares = m.shares;
  ++counts_.modified;
  send(now_ns, r, out);
}

}  // namespace sy::traffic
