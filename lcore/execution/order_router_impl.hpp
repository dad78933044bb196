// Template bodies of OrderRouter (included by order_router.hpp).
#pragma once

#include <cstring>

namespace sy::exec {

// The market data the router needs: the gate's view plus the symbol -> stock locate map.
class MarketDirectory : public risk::MarketView {
 public:
  // 0 when the symbol is not known (the gate then rejects on the allowlist or the reference).
  virtual uint16_t locate_of(uint64_t symbol) const = 0;
};

namespace detail {

inline risk::Side side_of(uint8_t ouch_side) {
  switch (ouch_side) {
    case 'B':
      return risk::Side::buy;
    case 'S':
      return risk::Side::sell;
    case 'T':
      return risk::Side::short_sell;
    case 'E':
      return risk::Side::short_exempt;
    default:
      return risk::Side::invalid;
  }
}

inline uint64_t symbol_of(const proto::OuchStock& stock) {
  uint64_t w = 0;
  std::memcpy(&w, stock.data(), sizeof w);
  return w;
}

inline risk::OrderToken token_of(const proto::OuchToken& t) {
  risk::OrderToken r;
  std::memcpy(r.data(), t.data(), r.size());
  return r;
}

// OUCH answers a refused Enter or Replace with Rejected; it has no refusal of a Cancel or
// Modify, whose token names an order that stays live.
inline bool answers_with_rejected(risk::IntentKind k) {
  return k == risk::IntentKind::new_order || k == risk::IntentKind::replace;
}

// OUCH client messages carry their first token right after the type letter; Replace carries
// the replacement token after it.
inline constexpr size_t kTokenAt = 1;
inline constexpr size_t kReplacementTokenAt = 1 + risk::kTokenBytes;

}  // namespace detail

template <typename Sink>
void OrderRouter::send_out(const session::Output& out, const Target& via, Sink& sink) {
  for (uint32_t i = 0; i < out.n_tx; ++i) {
    const session::TxDatagram& d = out.tx[i];
    Target t = via;
    t.dst = d.dst;
    uint8_t* p = sink.open(t, d.len);
    if (p == nullptr) {
      count(RouterCounter::no_buffer);
      continue;
    }
    std::memcpy(p, d.bytes, d.len);
    sink.close(d.len, Stamp{Stamp::Stage::upkeep, 0});
  }
}

template <typename Sink>
void OrderRouter::connect(uint64_t now_ns, Sink& sink) {
  out_->clear();
  venue_.connect(now_ns, *out_);
  send_out(*out_, Target{Target::Kind::venue, 0, {}}, sink);
}

template <typename Sink>
void OrderRouter::poll(uint64_t now_ns, Sink& sink) {
  for (size_t i = 0; i < clients_.size(); ++i) {
    out_->clear();
    clients_[i]->ufo.poll(now_ns, *out_);
    send_out(*out_, Target{Target::Kind::client, static_cast<uint16_t>(i), {}}, sink);
  }
  out_->clear();
  venue_.poll(now_ns, *out_);
  send_out(*out_, Target{Target::Kind::venue, 0, {}}, sink);
  // A venue message delivered by poll() cannot happen: messages arrive only in datagrams. A gap
  // given up on the session's clock (the venue stayed silent about it) can, and may end a replay.
  bool gave_up = false;
  for (uint32_t i = 0; i < out_->n_events; ++i) {
    const session::Event& e = out_->events[i];
    if (e.kind != session::EventKind::unavailable) continue;
    count(RouterCounter::replay_unavailable, e.count);
    gave_up = true;
  }
  if (gave_up) after_venue_input(now_ns, sink);
  // Cancels of earlier-run orders the venue has not confirmed yet go again (OUCH cancels are
  // idempotent), one scan per retry interval.
  if (reconciled_ && orphans_.open() != 0 && now_ns >= next_orphan_scan_ns_) {
    next_orphan_scan_ns_ = now_ns + orphan_retry_ns_;
    cancel_orphans(now_ns, sink);
  }
}

template <typename Sink>
void OrderRouter::begin_burst(uint64_t now_ns, uint64_t safety_word, uint64_t account_kill,
                              Sink& sink) {
  gate_.begin_burst();
  const SafetyMode before = SafetyView::of(safety_word_).mode;
  safety_word_ = safety_word;
  account_kill_ = account_kill;
  if (SafetyView::of(safety_word).mode == SafetyMode::emergency_stop &&
      before != SafetyMode::emergency_stop)
    cancel_all_open(now_ns, sink);
}

template <typename Sink>
void OrderRouter::cancel_all_open(uint64_t now_ns, Sink& sink) {
  const risk::Ledger& ledger = gate_.ledger();
  ledger.for_each_open([&](uint32_t slot, const risk::OrderEntry& o) {
    if (o.state != risk::OrderState::pending_new && o.state != risk::OrderState::live) return;
    proto::CancelOrder c{};
    venue_token(epoch_, {slot, o.account}, c.token.data());
    c.shares = 0;
    uint8_t msg[proto::kOuchMaxLen];
    const size_t n = proto::encode(c, msg, sizeof msg);
    if (send_venue(now_ns, msg, n, Stamp{}, sink)) count(RouterCounter::emergency_cancels);
  });
  if (reconciled_) cancel_orphans(now_ns, sink);
}

template <typename Sink>
void OrderRouter::cancel_orphans(uint64_t now_ns, Sink& sink) {
  orphans_.for_each_open([&](OrphanOrder& o) {
    if (o.cancel_ns != 0 && now_ns - o.cancel_ns < orphan_retry_ns_) return;
    send_orphan_cancel(now_ns, o, sink);
  });
}

template <typename Sink>
void OrderRouter::send_orphan_cancel(uint64_t now_ns, OrphanOrder& o, Sink& sink) {
  proto::CancelOrder c{};
  std::memcpy(c.token.data(), o.token, risk::kTokenBytes);
  c.shares = 0;
  uint8_t msg[proto::kOuchMaxLen];
  const size_t n = proto::encode(c, msg, sizeof msg);
  if (send_venue(now_ns, msg, n, Stamp{}, sink)) {
    o.cancel_ns = now_ns;
    count(RouterCounter::orphan_cancels);
  }
}

template <typename Sink>
void OrderRouter::after_venue_input(uint64_t now_ns, Sink& sink) {
  if (reconciled_ || !venue_ready()) return;
  // Caught up: what the replay left open is what nobody in this run can close.
  reconciled_ = true;
  count(RouterCounter::orphans_found, orphans_.open());
  next_orphan_scan_ns_ = now_ns + orphan_retry_ns_;
  cancel_orphans(now_ns, sink);
}

template <typename Sink>
session::Verdict OrderRouter::on_client(uint64_t now_ns, uint16_t client,
                                        const session::Endpoint& src, uint8_t* payload, size_t len,
                                        uint64_t rx_tsc, const risk::MarketView& market,
                                        Sink& sink) {
  Client& c = *clients_[client];
  out_->clear();
  const session::Verdict v = c.ufo.on_datagram(now_ns, src, payload, len, *out_);
  send_out(*out_, Target{Target::Kind::client, client, {}}, sink);
  const uint32_t n = out_->n_events;
  for (uint32_t i = 0; i < n; ++i) {
    const session::Event& e = out_->events[i];
    if (e.kind != session::EventKind::message) continue;
    uint8_t* msg = payload + (e.data - payload);  // the session hands out const views of ours
    const bool whole = n == 1 && msg == payload + proto::kUfoBlockHeaderLen + 1 &&
                       size_t{e.len} + proto::kUfoBlockHeaderLen + 1 == len;
    on_client_message(now_ns, client, msg, e.len, whole, payload, len, rx_tsc, market, sink);
  }
  return v;
}

template <typename Sink>
void OrderRouter::on_client_message(uint64_t now_ns, uint16_t client, uint8_t* msg, size_t len,
                                    bool whole_datagram, uint8_t* payload, size_t payload_len,
                                    uint64_t rx_tsc, const risk::MarketView& market, Sink& sink) {
  proto::OuchClientMessage m;
  proto::OeError error{};
  if (!proto::decode_client(msg, len, m, error)) {
    count(RouterCounter::orders_malformed);
    return;
  }
  count(RouterCounter::orders_in);
  const auto& dir = static_cast<const MarketDirectory&>(market);
  const risk::Ledger& ledger = gate_.ledger();
  risk::OrderIntent in{};
  in.rx_tsc = rx_tsc;
  in.session = client;
  in.account = clients_[client]->account;
  proto::OuchToken reject_token{};
  switch (m.type) {
    case proto::OuchClientType::enter_order:
      in.kind = risk::IntentKind::new_order;
      in.token = detail::token_of(m.enter_order.token);
      in.symbol = detail::symbol_of(m.enter_order.stock);
      in.locate = dir.locate_of(in.symbol);
      in.side = detail::side_of(m.enter_order.side);
      in.shares = m.enter_order.shares;
      in.price = m.enter_order.price;
      reject_token = m.enter_order.token;
      break;
    case proto::OuchClientType::replace_order: {
      in.kind = risk::IntentKind::replace;
      in.token = detail::token_of(m.replace_order.replacement_token);
      in.existing = detail::token_of(m.replace_order.existing_token);
      const uint32_t slot = ledger.find(client, in.existing);
      if (slot != risk::kNoSlot) {
        in.symbol = ledger.order(slot).symbol;
        in.side = ledger.order(slot).side;
        in.locate = dir.locate_of(in.symbol);
      }
      in.shares = m.replace_order.shares;
      in.price = m.replace_order.price;
      reject_token = m.replace_order.replacement_token;
      break;
    }
    case proto::OuchClientType::cancel_order: {
      in.kind = risk::IntentKind::cancel;
      in.token = detail::token_of(m.cancel_order.token);
      in.shares = m.cancel_order.shares;
      const uint32_t slot = ledger.find(client, in.token);
      if (slot != risk::kNoSlot) {
        in.symbol = ledger.order(slot).symbol;
        in.side = ledger.order(slot).side;
        in.locate = dir.locate_of(in.symbol);
      }
      break;
    }
    case proto::OuchClientType::modify_order:
      // The gate takes symbol, price and the current side from the order itself.
      in.kind = risk::IntentKind::modify;
      in.token = detail::token_of(m.modify_order.token);
      in.shares = m.modify_order.shares;
      in.side = detail::side_of(m.modify_order.side);
      break;
  }

  // Nothing reaches a venue that is not logged in, or whose replay has not caught up (orders
  // of an earlier run may still be open there): new orders are answered at once (the client
  // may send again), cancels wait for the client's re-send (OUCH makes them idempotent).
  if (!venue_ready()) {
    count(venue_.state() == session::ClientState::active ? RouterCounter::replay_rejected
                                                         : RouterCounter::venue_down);
    if (detail::answers_with_rejected(in.kind))
      reject(now_ns, client, reject_token, 'O', rx_tsc, sink);
    return;
  }

  const risk::GateResultRecord r =
      gate_.decide(in, market, SafetyView::of(safety_word_), account_kill_, now_ns);
  sink.gate_result(r);
  switch (static_cast<risk::Decision>(r.decision)) {
    case risk::Decision::pass: {
      // Client tokens become venue tokens in place; the message is otherwise what the client sent.
      const uint32_t slot = ledger.find(client, in.token);
      if (slot == risk::kNoSlot) {  // the gate reserves every order it passes
        count(RouterCounter::ignored);
        return;
      }
      to_venue_token(slot, msg + detail::kTokenAt);
      if (m.type == proto::OuchClientType::replace_order) {
        const uint32_t existing = ledger.find(client, in.existing);
        to_venue_token(existing, msg + detail::kTokenAt);
        to_venue_token(slot, msg + detail::kReplacementTokenAt);
      }
      const Stamp stamp{Stamp::Stage::order, rx_tsc};
      if (whole_datagram && sink.forward_in_place(payload, payload_len, stamp)) {
        count(RouterCounter::forwarded);
        count(RouterCounter::forwarded_in_place);
      } else if (send_venue(now_ns, msg, len, stamp, sink)) {
        count(RouterCounter::forwarded);
      }
      return;
    }
    case risk::Decision::fail:
    case risk::Decision::unknown:
      if (!detail::answers_with_rejected(in.kind)) {
        count(in.kind == risk::IntentKind::modify ? RouterCounter::modify_refused
                                                  : RouterCounter::ignored);
        return;
      }
      reject(now_ns, client, reject_token, r.reject_reason, rx_tsc, sink);
      return;
    case risk::Decision::ignore:
      count(RouterCounter::ignored);
      return;
  }
}

template <typename Sink>
void OrderRouter::reject(uint64_t now_ns, uint16_t client, const proto::OuchToken& token,
                         char reason, uint64_t rx_tsc, Sink& sink) {
  proto::Rejected rej{};
  rej.timestamp_ns = now_ns % 86'400'000'000'000ull;  // OUCH: ns since midnight (UTC here)
  rej.token = token;
  rej.reason = static_cast<uint8_t>(reason);
  uint8_t msg[proto::kOuchMaxLen];
  const size_t n = proto::encode(rej, msg, sizeof msg);
  count(RouterCounter::rejected);
  send_client(now_ns, client, msg, n, Stamp{Stamp::Stage::reject, rx_tsc}, sink);
}

template <typename Sink>
void OrderRouter::send_client(uint64_t now_ns, uint16_t client, const uint8_t* msg, size_t len,
                              const Stamp& stamp, Sink& sink) {
  session::UfoServerSession& s = clients_[client]->ufo;
  const Target t{Target::Kind::client, client, s.peer()};
  // Sequenced even when nobody is logged in: the client gets it by retransmission request.
  uint8_t* p = s.logged_in() ? sink.open(t, proto::kUfoMaxPacket) : nullptr;
  if (s.logged_in() && p == nullptr) count(RouterCounter::no_buffer);
  uint8_t scratch[proto::kUfoSequencedHeaderLen + proto::kUfoBlockHeaderLen + proto::kOuchMaxLen];
  const session::SendResult r =
      s.send_sequenced(now_ns, std::span<const uint8_t>(msg, len), p ? p : scratch,
                       p ? proto::kUfoMaxPacket : sizeof scratch);
  if (p == nullptr) {
    if (r.status == session::SendStatus::retained_only || r.status == session::SendStatus::sent)
      count(RouterCounter::relay_no_client);
    return;
  }
  if (r.status == session::SendStatus::sent) {
    sink.close(r.len, stamp);
  } else {
    sink.close(0, stamp);  // nothing to send: the sink gives the buffer back
    if (r.status == session::SendStatus::retained_only) count(RouterCounter::relay_no_client);
  }
}

template <typename Sink>
bool OrderRouter::send_venue(uint64_t now_ns, const uint8_t* msg, size_t len, const Stamp& stamp,
                             Sink& sink) {
  uint8_t* p = sink.open(Target{Target::Kind::venue, 0, venue_.peer()}, proto::kUfoMaxPacket);
  if (p == nullptr) {
    count(RouterCounter::no_buffer);
    return false;
  }
  const session::SendResult r =
      venue_.send_unsequenced(now_ns, std::span<const uint8_t>(msg, len), p, proto::kUfoMaxPacket);
  if (r.status != session::SendStatus::sent) {
    sink.close(0, stamp);
    count(RouterCounter::venue_down);
    return false;
  }
  sink.close(r.len, stamp);
  return true;
}

template <typename Sink>
session::Verdict OrderRouter::on_venue(uint64_t now_ns, const session::Endpoint& src,
                                       const uint8_t* payload, size_t len, uint64_t rx_tsc,
                                       Sink& sink) {
  out_->clear();
  const session::Verdict v = venue_.on_datagram(now_ns, src, payload, len, *out_);
  send_out(*out_, Target{Target::Kind::venue, 0, {}}, sink);
  for (uint32_t i = 0; i < out_->n_events; ++i) {
    const session::Event& e = out_->events[i];
    if (e.kind == session::EventKind::message) {
      on_venue_message(now_ns, e.data, e.len, rx_tsc, sink);
    } else if (e.kind == session::EventKind::logged_in) {
      // Everything the session sent before this login is replayed before new orders go.
      replay_until_ = e.sequence;
      reconciled_ = false;
    } else if (e.kind == session::EventKind::unavailable) {
      count(RouterCounter::replay_unavailable, e.count);
    }
  }
  after_venue_input(now_ns, sink);
  return v;
}

template <typename Sink>
void OrderRouter::on_venue_message(uint64_t now_ns, const uint8_t* msg, size_t len, uint64_t rx_tsc,
                                   Sink& sink) {
  proto::OuchHostMessage m;
  proto::OeError error{};
  if (!proto::decode_host(msg, len, m, error)) {
    count(RouterCounter::venue_malformed);
    return;
  }
  count(RouterCounter::venue_messages);
  const Stamp stamp{Stamp::Stage::relay, rx_tsc};
  uint8_t out[proto::kOuchMaxLen];

  if (m.type == proto::OuchHostType::system_event) {
    for (size_t c = 0; c < clients_.size(); ++c)
      send_client(now_ns, static_cast<uint16_t>(c), msg, len, stamp, sink);
    count(RouterCounter::broadcast);
    return;
  }

  // Every other host message names an order by its token (Replaced: the new one).
  proto::OuchToken* token = nullptr;
  proto::OuchToken* previous = nullptr;
  risk::VenueEvent ev{};
  bool ledger_event = true;
  switch (m.type) {
    case proto::OuchHostType::accepted:
      token = &m.accepted.token;
      ev.kind = risk::VenueEvent::Kind::accepted;
      ev.dead = m.accepted.order_state == 'D';
      ev.shares = m.accepted.shares;
      ev.price = m.accepted.price;
      break;
    case proto::OuchHostType::replaced:
      token = &m.replaced.replacement_token;
      previous = &m.replaced.previous_token;
      ev.kind = risk::VenueEvent::Kind::replaced;
      ev.dead = m.replaced.order_state == 'D';
      ev.shares = m.replaced.shares;
      ev.price = m.replaced.price;
      break;
    case proto::OuchHostType::canceled:
      token = &m.canceled.token;
      ev.kind = risk::VenueEvent::Kind::canceled;
      ev.shares = m.canceled.decrement_shares;
      break;
    case proto::OuchHostType::aiq_canceled:
      token = &m.aiq_canceled.token;
      ev.kind = risk::VenueEvent::Kind::canceled;
      ev.shares = m.aiq_canceled.decrement_shares;
      break;
    case proto::OuchHostType::executed:
      token = &m.executed.token;
      ev.kind = risk::VenueEvent::Kind::executed;
      ev.shares = m.executed.executed_shares;
      ev.price = m.executed.execution_price;
      ev.match = m.executed.match_number;
      break;
    case proto::OuchHostType::executed_with_reference:
      token = &m.executed_with_reference.token;
      ev.kind = risk::VenueEvent::Kind::executed;
      ev.shares = m.executed_with_reference.executed_shares;
      ev.price = m.executed_with_reference.execution_price;
      ev.match = m.executed_with_reference.match_number;
      break;
    case proto::OuchHostType::rejected:
      token = &m.rejected.token;
      ev.kind = risk::VenueEvent::Kind::rejected;
      break;
    // Breaks and corrections rebook the fill their match number names (ledger.hpp).
    case proto::OuchHostType::broken_trade:
      token = &m.broken_trade.token;
      ev.kind = risk::VenueEvent::Kind::broken;
      ev.match = m.broken_trade.match_number;
      break;
    case proto::OuchHostType::trade_correction:
      token = &m.trade_correction.token;
      ev.kind = risk::VenueEvent::Kind::trade_corrected;
      ev.shares = m.trade_correction.executed_shares;
      ev.price = m.trade_correction.execution_price;
      ev.match = m.trade_correction.match_number;
      break;
    case proto::OuchHostType::price_correction:
      token = &m.price_correction.token;
      ev.kind = risk::VenueEvent::Kind::price_corrected;
      ev.price = m.price_correction.new_execution_price;
      ev.match = m.price_correction.match_number;
      break;
    // Relayed, not booked: priority updates and cancel pending/reject change no position or
    // exposure.
    case proto::OuchHostType::cancel_pending:
      token = &m.cancel_pending.token;
      ledger_event = false;
      break;
    case proto::OuchHostType::cancel_reject:
      token = &m.cancel_reject.token;
      ledger_event = false;
      break;
    case proto::OuchHostType::priority_update:
      token = &m.priority_update.token;
      ledger_event = false;
      break;
    case proto::OuchHostType::order_modified:
      token = &m.order_modified.token;
      ev.kind = risk::VenueEvent::Kind::modified;
      ev.side = detail::side_of(m.order_modified.side);
      ev.shares = m.order_modified.shares;
      break;
    case proto::OuchHostType::system_event:
      return;  // handled above
  }

  VenueTokenId id, prev_id;
  const risk::Ledger& ledger = gate_.ledger();
  const TokenOwner owner = venue_token_owner(token->data(), epoch_, id);
  if (owner == TokenOwner::earlier_run) {
    count(RouterCounter::orphan_messages);
    if (ledger_event) on_orphan_event(now_ns, ev, m, id.account, *token, previous, sink);
    return;
  }
  const uint32_t slot = id.slot;
  if (owner != TokenOwner::this_run || slot >= ledger.order_capacity() ||
      ledger.order(slot).state == risk::OrderState::empty ||
      ledger.order(slot).account != id.account ||
      (previous != nullptr &&
       (venue_token_owner(previous->data(), epoch_, prev_id) != TokenOwner::this_run ||
        prev_id.slot >= ledger.order_capacity()))) {
    count(RouterCounter::venue_unknown_token);
    return;
  }
  const risk::OrderEntry& order = ledger.order(slot);
  const uint16_t client = order.session;
  const risk::OrderToken client_token = order.token();
  std::memcpy(token->data(), client_token.data(), client_token.size());
  if (previous != nullptr) {
    const risk::OrderToken prev = ledger.order(prev_id.slot).token();
    std::memcpy(previous->data(), prev.data(), prev.size());
  }
  if (ledger_event) {
    ev.session = client;
    ev.token = client_token;
    if (previous != nullptr) std::memcpy(ev.previous.data(), previous->data(), ev.previous.size());
    count_ledger(ev.kind, gate_.apply(ev));
  }
  if (client >= clients_.size()) {
    count(RouterCounter::venue_unknown_token);
    return;
  }
  const size_t n = proto::encode(m, out, sizeof out);
  send_client(now_ns, client, out, n, stamp, sink);
  count(RouterCounter::relayed);
}

template <typename Sink>
void OrderRouter::on_orphan_event(uint64_t now_ns, const risk::VenueEvent& ev,
                                  const proto::OuchHostMessage& m, uint8_t account,
                                  const proto::OuchToken& token, const proto::OuchToken* previous,
                                  Sink& sink) {
  // The earlier run's fills are this day's positions too: the limits must see them.
  if (ev.kind == risk::VenueEvent::Kind::broken ||
      ev.kind == risk::VenueEvent::Kind::trade_corrected ||
      ev.kind == risk::VenueEvent::Kind::price_corrected) {
    count_ledger(ev.kind, gate_.ledger().correct_carried(ev));
    return;
  }
  if (previous != nullptr) {
    OrphanOrder* p = orphans_.find(previous->data());
    if (p != nullptr && orphans_.close(*p) && p->cancel_ns != 0)
      count(RouterCounter::orphans_closed);
  }
  OrphanOrder* o = ev.kind == risk::VenueEvent::Kind::accepted ||
                           ev.kind == risk::VenueEvent::Kind::replaced ||
                           ev.kind == risk::VenueEvent::Kind::rejected
                       ? orphans_.upsert(token.data())
                       : orphans_.find(token.data());
  if (o == nullptr) {
    // Accepted/Replaced beyond the table: an order we will not cancel. Executions or cancels of
    // an order never seen opened need nothing.
    if (ev.kind == risk::VenueEvent::Kind::accepted || ev.kind == risk::VenueEvent::Kind::replaced)
      count(RouterCounter::orphan_overflow);
    if (ev.kind == risk::VenueEvent::Kind::executed) count(RouterCounter::carried_unbooked);
    return;
  }
  if (ev.kind == risk::VenueEvent::Kind::accepted || ev.kind == risk::VenueEvent::Kind::replaced) {
    const bool acc = ev.kind == risk::VenueEvent::Kind::accepted;
    o->symbol = detail::symbol_of(acc ? m.accepted.stock : m.replaced.stock);
    o->side = detail::side_of(acc ? m.accepted.side : m.replaced.side);
    o->account = account;
    o->described = true;
  } else if (ev.kind == risk::VenueEvent::Kind::executed) {
    const bool booked = o->described && gate_.ledger().book_carried(
                                            o->account, o->symbol, o->side, ev.shares, ev.price,
                                            ev.match) == risk::ApplyResult::applied;
    count(booked ? RouterCounter::carried_fills : RouterCounter::carried_unbooked);
  }
  bool closed = false;
  switch (ev.kind) {
    case risk::VenueEvent::Kind::accepted:
    case risk::VenueEvent::Kind::replaced:
      if (ev.dead || ev.shares == 0) {
        closed = orphans_.close(*o);
        break;
      }
      orphans_.set_open(*o, ev.shares);
      // Opened after the replay (an order in flight when the earlier run stopped): cancel now.
      if (reconciled_ && o->cancel_ns == 0) {
        count(RouterCounter::orphans_found);
        send_orphan_cancel(now_ns, *o, sink);
      }
      return;
    case risk::VenueEvent::Kind::executed:
    case risk::VenueEvent::Kind::canceled:
      closed = orphans_.reduce(*o, ev.shares);
      break;
    case risk::VenueEvent::Kind::rejected:
      closed = orphans_.close(*o);
      break;
    case risk::VenueEvent::Kind::modified:
      if (!o->open) return;
      if (ev.shares == 0) {
        closed = orphans_.close(*o);
        break;
      }
      o->remaining = ev.shares;
      o->side = ev.side;
      return;
    case risk::VenueEvent::Kind::broken:
    case risk::VenueEvent::Kind::trade_corrected:
    case risk::VenueEvent::Kind::price_corrected:
      return;  // booked above
  }
  if (closed && o->cancel_ns != 0) count(RouterCounter::orphans_closed);
}

}  // namespace sy::exec
