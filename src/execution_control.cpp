#include "src/execution_control.hpp"

#include "lcore/execution/execution_runtime.hpp"
#include "src/risk/policy.hpp"
#include "src/risk/snapshot.hpp"
#include "storage/format.hpp"
#include "storage/state.hpp"

namespace sy {

namespace {

using json = nlohmann::json;

std::string token_text(const risk::OrderToken& t) {
  std::string s(t.data(), t.size());
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

// The latest snapshot the execution lcore published (a copy; never lcore state).
bool read_snapshot(const exec::ExecutionRuntime& x, risk::LedgerSnapshot& s, json& error) {
  if (!x.snapshots || !x.snapshots->read(s)) {
    error = {{"error", "no ledger snapshot published yet"}};
    return false;
  }
  return true;
}

json limits_view(const risk::Policy& p) {
  json accounts = json::array();
  for (const risk::AccountPolicy& a : p.accounts()) {
    json instruments = json::array();
    for (const risk::InstrumentLimits& in : a.instruments)
      instruments.push_back(
          {{"symbol", risk::symbol_text(in.symbol)},
           {"max_position_shares", in.max_position_shares},
           {"max_gross_exposure_usd", in.max_gross_exposure / risk::kNotionalPerDollar}});
    const risk::AccountLimits& l = a.limits;
    accounts.push_back({{"name", a.name},
                        {"id", a.id},
                        {"sessions", a.sessions},
                        {"max_shares_per_order", l.max_shares_per_order},
                        {"max_order_notional_usd", l.max_order_notional / risk::kNotionalPerDollar},
                        {"price_collar_bps", l.price_collar_bps},
                        {"max_open_orders", l.max_open_orders},
                        {"order_rate_per_s", l.order_rate_per_s},
                        {"order_burst", l.order_burst},
                        {"instruments", instruments}});
  }
  return {{"policy", p.source()}, {"version", p.version()}, {"accounts", accounts}};
}

}  // namespace

void wire_storage_budgets(Runtime& rt, control::ControlPlane& plane) {
  if (!rt.storage_state || !rt.storage_writer) return;
  // Seed 000: "Market ingest: receive -> raw persist" and "Canonical: raw -> canonical persist".
  const auto raw = static_cast<size_t>(storage::Stream::raw);
  const auto canonical = static_cast<size_t>(storage::Stream::canonical);
  plane.budgets().add("market_ingest", "raw_persist", &rt.storage_state->streams[raw].latency);
  plane.budgets().add("canonical", "e2e", &rt.storage_state->streams[canonical].latency);
}

void wire_execution_control(Runtime& rt, control::ControlPlane& plane) {
  if (!rt.execution) return;
  exec::ExecutionRuntime& x = *rt.execution;
  x.router->set_token_epoch(plane.run_epoch());  // before launch: no token exists yet

  plane.budgets().add("execution", "gate_decision", &x.latency.rx_to_decision);
  plane.budgets().add("execution", "sent", &x.latency.rx_to_tx);
  plane.budgets().add("execution", "result", &x.latency.relay);
  // "Risk snapshot input -> exposure computed": the gate reads the market snapshot and computes
  // the order's exposure inside its decision, so the decision latency is that stage.
  plane.budgets().add("risk_snapshot", "e2e", &x.latency.rx_to_decision);

  plane.add_view("orders", [&x] {
    risk::LedgerSnapshot s;
    json error;
    if (!read_snapshot(x, s, error)) return error;
    json orders = json::array();
    for (size_t i = 0; i < s.open_count; ++i) {
      const risk::OpenOrderView& o = s.open_orders[i];
      orders.push_back({{"token", token_text(o.token)},
                        {"session", x.router->client_name(o.session)},
                        {"account", o.account},
                        {"symbol", risk::symbol_text(o.symbol)},
                        {"side", risk::to_string(o.side)},
                        {"remaining", o.remaining},
                        {"executed", o.executed},
                        {"price", o.price},
                        {"state", risk::to_string(o.state)}});
    }
    return json{{"generation", s.generation}, {"truncated", s.truncated}, {"orders", orders}};
  });
  plane.add_view("positions", [&x] {
    risk::LedgerSnapshot s;
    json error;
    if (!read_snapshot(x, s, error)) return error;
    json positions = json::array();
    for (size_t i = 0; i < s.position_count; ++i) {
      const risk::PositionView& p = s.positions[i];
      positions.push_back({{"account", p.account},
                           {"symbol", risk::symbol_text(p.symbol)},
                           {"net_shares", p.net_shares},
                           {"open_buy_shares", p.open_buy_shares},
                           {"open_sell_shares", p.open_sell_shares},
                           {"bought_shares", p.bought_shares},
                           {"sold_shares", p.sold_shares},
                           {"mark_price", p.mark_price}});
    }
    return json{{"generation", s.generation}, {"positions", positions}};
  });
  plane.add_view("exposure", [&x] {
    risk::LedgerSnapshot s;
    json error;
    if (!read_snapshot(x, s, error)) return error;
    json accounts = json::array();
    for (const risk::AccountPolicy& a : x.policies->latest().accounts()) {
      const risk::AccountTotals& t = s.accounts[a.id];
      accounts.push_back({{"account", a.name},
                          {"open_orders", t.open_orders},
                          {"worst_case_position_shares", t.worst_shares},
                          {"gross_exposure_usd", t.exposure / risk::kNotionalPerDollar},
                          {"executed_shares", t.executed_shares}});
    }
    return json{{"generation", s.generation}, {"accounts", accounts}};
  });
  // The venue session and cancel-on-connect, from what the lcore publishes every timer tick.
  plane.add_view("venue", [&x] {
    const auto counter = [&x](exec::RouterCounter c) {
      return x.router_counters[static_cast<size_t>(c)].get();
    };
    return json{{"logged_in", x.venue_up.load(std::memory_order_relaxed)},
                {"ready", x.venue_ready.load(std::memory_order_relaxed)},
                {"token_epoch", x.router->token_epoch()},
                {"earlier_run_orders",
                 {{"found", counter(exec::RouterCounter::orphans_found)},
                  {"cancels_sent", counter(exec::RouterCounter::orphan_cancels)},
                  {"closed", counter(exec::RouterCounter::orphans_closed)},
                  {"open", x.orphans_open.load(std::memory_order_relaxed)},
                  {"untracked", counter(exec::RouterCounter::orphan_overflow)}}},
                {"replay_unavailable", counter(exec::RouterCounter::replay_unavailable)}};
  });
  // The policy object lives in the exchange; the HTTP thread is its only installer.
  plane.add_view("limits", [&x] { return limits_view(x.policies->latest()); });

  // Intraday limit change: {"policy": "path.yaml"} is loaded and validated here, off the hot
  // path, then swapped in atomically; the gate picks it up at its next burst.
  plane.add_action("limits", [&x, &plane](const json& body) {
    control::ControlPlane::ActionResult r;
    if (!body.contains("policy") || !body["policy"].is_string() || body.size() != 1) {
      r.status = 400;
      r.answer = {{"error", "expected {\"policy\": \"path of a risk policy file\"}"}};
      return r;
    }
    const std::string path = body["policy"];
    std::unique_ptr<risk::Policy> next;
    try {
      next = risk::load_policy(path);
    } catch (const std::exception& e) {
      r.status = 400;
      r.answer = {{"error", e.what()}};
      return r;
    }
    const std::vector<std::string> diff = x.policies->install(std::move(next));
    if (auto* audit = plane.audit())
      audit->submit_api(
          {"risk.limits.changed",
           "operator",
           "warning",
           0,
           {{"policy", path}, {"version", x.policies->latest().version()}, {"changes", diff}}});
    r.answer = limits_view(x.policies->latest());
    r.answer["changes"] = diff;
    return r;
  });
}

}  // namespace sy
