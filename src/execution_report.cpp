#include "src/execution_report.hpp"

#include <cstdio>

#include "lcore/execution/execution_runtime.hpp"
#include "src/risk/checks.hpp"
#include "src/risk/gate_result.hpp"

namespace sy {

namespace {

nlohmann::json latency(const Histogram& h) {
  const HistogramSnapshot s = h.snapshot();
  return {{"count", s.count},
          {"p50_ns", s.quantile(0.5)},
          {"p99_ns", s.quantile(0.99)},
          {"p999_ns", s.quantile(0.999)},
          {"max_ns", s.max}};
}

}  // namespace

namespace {

// The router's counters as the lcore last published them.
nlohmann::json router_counters(const exec::ExecutionRuntime& x) {
  nlohmann::json counters;
  for (size_t i = 0; i < exec::kRouterCounterCount; ++i)
    counters[exec::kRouterCounterNames[i]] = x.router_counters[i].get();
  return counters;
}

}  // namespace

nlohmann::json execution_report_live(const Runtime& rt) {
  if (!rt.execution) return nullptr;
  const exec::ExecutionRuntime& x = *rt.execution;
  return {{"router", router_counters(x)},
          {"venue_up", x.venue_up.load(std::memory_order_relaxed)},
          {"venue_ready", x.venue_ready.load(std::memory_order_relaxed)},
          {"orphans_open", x.orphans_open.load(std::memory_order_relaxed)},
          {"no_mbuf", x.no_mbuf.get()},
          {"gate_results_unlogged", x.gate_results_unlogged.get()}};
}

nlohmann::json execution_report(const Runtime& rt) {
  if (!rt.execution) return nullptr;
  const exec::ExecutionRuntime& x = *rt.execution;
  const exec::OrderRouter& r = *x.router;
  nlohmann::json j;
  const nlohmann::json counters = router_counters(x);
  j["router"] = counters;
  const risk::GateCounters& g = r.gate().counters();
  nlohmann::json decisions;
  for (uint8_t d = 0; d < 4; ++d)
    decisions[risk::to_string(static_cast<risk::Decision>(d))] = g.decisions[d].get();
  j["gate"]["decisions"] = decisions;
  nlohmann::json failed = nlohmann::json::object();
  for (size_t c = 0; c < risk::kCheckCount; ++c)
    if (g.failed[c].get()) failed[risk::to_string(static_cast<risk::Check>(c))] = g.failed[c].get();
  j["gate"]["failed_by_check"] = failed;
  j["gate"]["results_unlogged"] = x.gate_results_unlogged.get();
  j["no_mbuf"] = x.no_mbuf.get();
  j["venue_up"] = x.venue_up.load(std::memory_order_relaxed);
  j["venue_ready"] = x.venue_ready.load(std::memory_order_relaxed);
  j["token_epoch"] = r.token_epoch();
  // Cancel-on-connect: orders of earlier runs the venue still held after a restart.
  j["orphans"] = {{"found", counters["orphans_found"]},
                  {"cancels_sent", counters["orphan_cancels"]},
                  {"closed", counters["orphans_closed"]},
                  {"open", x.orphans_open.load(std::memory_order_relaxed)},
                  {"untracked", counters["orphan_overflow"]},
                  {"replay_unavailable", counters["replay_unavailable"]}};

  // The ledger is the execution lcore's; read it only once that lcore has stopped.
  bool stopped = true;
  for (const auto& lc : rt.lcores)
    if (lc.cfg->role == conf::Role::execution)
      stopped = lc.stats->finished.load(std::memory_order_acquire);
  if (stopped) {
    const risk::Ledger& ledger = r.gate().ledger();
    uint64_t bought = 0, sold = 0, open_buy = 0, open_sell = 0;
    ledger.for_each_position([&](uint32_t, const risk::Position& p) {
      bought += p.bought_shares;
      sold += p.sold_shares;
      open_buy += p.open_buy_shares;
      open_sell += p.open_sell_shares;
    });
    j["ledger"] = {{"orders", ledger.order_count()},
                   {"open_orders", ledger.for_each_open([](uint32_t, const risk::OrderEntry&) {})},
                   {"bought_shares", bought},
                   {"sold_shares", sold},
                   {"executed_shares", bought + sold},
                   {"open_buy_shares", open_buy},
                   {"open_sell_shares", open_sell},
                   {"audit", ledger.audit()}};
  }
  j["latency"] = {{"rx_to_decision", latency(x.latency.rx_to_decision)},
                  {"rx_to_tx", latency(x.latency.rx_to_tx)},
                  {"reject_rx_to_tx", latency(x.latency.reject_rx_to_tx)},
                  {"relay", latency(x.latency.relay)}};
  nlohmann::json sessions = nlohmann::json::array();
  for (size_t i = 0; i < r.clients(); ++i) {
    const auto& s = r.client(i);
    nlohmann::json c = {{"name", r.client_name(i)}, {"logged_in", s.logged_in()}};
    for (size_t k = 0; k < session::kSessionCounterCount; ++k)
      if (s.counters().v[k]) c[session::kSessionCounterNames[k]] = s.counters().v[k];
    sessions.push_back(c);
  }
  j["clients"] = sessions;
  nlohmann::json venue = {{"state", static_cast<int>(r.venue().state())}};
  for (size_t k = 0; k < session::kSessionCounterCount; ++k)
    if (r.venue().counters().v[k])
      venue[session::kSessionCounterNames[k]] = r.venue().counters().v[k];
  j["venue"] = venue;
  return j;
}

std::string execution_text(const nlohmann::json& j) {
  if (j.is_null()) return "";
  const auto& c = j["router"];
  char line[512];
  std::string out =
      "\nEXECUTION    ORDERS IN   FORWARDED    REJECTED     IGNORED  VENUE MSGS     RELAYED\n";
  std::snprintf(line, sizeof line, "%-12s %9lu %11lu %11lu %11lu %11lu %11lu\n",
                j["venue_up"].get<bool>() ? "venue up" : "venue down",
                c["orders_in"].get<unsigned long>(), c["forwarded"].get<unsigned long>(),
                c["rejected"].get<unsigned long>(), c["ignored"].get<unsigned long>(),
                c["venue_messages"].get<unsigned long>(), c["relayed"].get<unsigned long>());
  out += line;
  // Not in the table's books: a refused Modify gets no answer (OUCH has none for it).
  if (const uint64_t n = c.value("modify_refused", uint64_t{0}); n != 0) {
    std::snprintf(line, sizeof line,
                  "modify: %lu Modify Orders refused by the gate (not forwarded, not answered)\n",
                  static_cast<unsigned long>(n));
    out += line;
  }
  if (const auto& o = j["orphans"]; o["found"].get<uint64_t>() + o["untracked"].get<uint64_t>()) {
    std::snprintf(
        line, sizeof line,
        "earlier run: %lu orders found open at the venue, %lu closed, %lu still open, "
        "%lu untracked%s\n",
        o["found"].get<unsigned long>(), o["closed"].get<unsigned long>(),
        o["open"].get<unsigned long>(), o["untracked"].get<unsigned long>(),
        o["open"].get<uint64_t>() + o["untracked"].get<uint64_t>() ? "  CHECK VENUE" : "");
    out += line;
  }
  if (const uint64_t n = j["orphans"]["replay_unavailable"].get<uint64_t>(); n != 0) {
    std::snprintf(line, sizeof line,
                  "venue replay: %lu messages the venue could not retransmit (given up); orders "
                  "in them were not cancelled, fills in them not booked  CHECK VENUE\n",
                  static_cast<unsigned long>(n));
    out += line;
  }
  if (j.contains("ledger")) {
    const auto& l = j["ledger"];
    std::snprintf(line, sizeof line,
                  "ledger: %lu orders, %lu open, executed %lu shares (bought %lu, sold %lu)%s\n",
                  l["orders"].get<unsigned long>(), l["open_orders"].get<unsigned long>(),
                  l["executed_shares"].get<unsigned long>(),
                  l["bought_shares"].get<unsigned long>(), l["sold_shares"].get<unsigned long>(),
                  l["audit"].get<std::string>().empty() ? "" : " AUDIT MISMATCH");
    out += line;
  }
  const auto& d = j["latency"]["rx_to_decision"];
  const auto& t = j["latency"]["rx_to_tx"];
  std::snprintf(line, sizeof line,
                "latency ns: rx->decision p50 %lu p99 %lu; rx->tx p50 %lu p99 %lu (%lu orders)\n",
                d["p50_ns"].get<unsigned long>(), d["p99_ns"].get<unsigned long>(),
                t["p50_ns"].get<unsigned long>(), t["p99_ns"].get<unsigned long>(),
                t["count"].get<unsigned long>());
  out += line;
  return out;
}

}  // namespace sy
