#include "src/observe/telemetry.hpp"

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_pdump.h>
#include <rte_telemetry.h>

#include <cctype>
#include <cstdio>
#include <mutex>
#include <string>

namespace sy::observe {

namespace {

// What the callbacks read; guarded so detach() cannot pull the Runtime from under one.
struct Attached {
  std::mutex mu;
  const Runtime* rt = nullptr;
  const ExportCounters* exporter = nullptr;
};
Attached& attached() {
  static Attached a;
  return a;
}

void add_u64(rte_tel_data* d, const char* name, uint64_t v) {
  rte_tel_data_add_dict_u64(d, name, v);
}

// A nested dict; the parent takes ownership (keep = 0).
rte_tel_data* child_dict() {
  rte_tel_data* c = rte_tel_data_alloc();
  if (c) rte_tel_data_start_dict(c);
  return c;
}

int not_running(rte_tel_data* d) {
  rte_tel_data_start_dict(d);
  rte_tel_data_add_dict_string(d, "state", "not running");
  return 0;
}

int cmd_stats(const char*, const char*, rte_tel_data* d) {
  std::lock_guard<std::mutex> lock(attached().mu);
  const Runtime* rt = attached().rt;
  if (rt == nullptr) return not_running(d);
  rte_tel_data_start_dict(d);
  for (size_t p = 0; p < rt->ports.size(); ++p) {
    uint64_t rx = 0, rx_ok = 0, rx_drop = 0, tx = 0, tx_ok = 0, tx_drop = 0;
    for (const auto& lc : rt->lcores) {
      rx += lc.stats->ports[p].packets.get();
      rx_ok += lc.stats->ports[p].delivered.get();
      rx_drop += lc.stats->ports[p].dropped_total();
      tx += lc.stats->tx[p].packets.get();
      if (lc.tx[p].handoff == nullptr) tx_ok += lc.stats->tx[p].delivered.get();
      tx_ok += lc.stats->tx_relay[p].delivered.get();
      tx_drop += lc.stats->tx[p].dropped_total() + lc.stats->tx_relay[p].dropped_total();
    }
    rte_tel_data* c = child_dict();
    if (c == nullptr) return -ENOMEM;
    add_u64(c, "rx_packets", rx);
    add_u64(c, "rx_delivered", rx_ok);
    add_u64(c, "rx_dropped", rx_drop);
    add_u64(c, "tx_attempted", tx);
    add_u64(c, "tx_sent", tx_ok);
    add_u64(c, "tx_dropped", tx_drop);
    rte_tel_data_add_dict_container(d, rt->cfg->ports[p].name.c_str(), c, 0);
  }
  return 0;
}

int cmd_safety(const char*, const char*, rte_tel_data* d) {
  std::lock_guard<std::mutex> lock(attached().mu);
  const Runtime* rt = attached().rt;
  if (rt == nullptr) return not_running(d);
  const uint64_t word = rt->safety.word.load(std::memory_order_acquire);
  const SafetyView v = SafetyView::of(word);
  uint64_t hazards = 0;
  for (const auto& lc : rt->lcores) hazards |= lc.stats->hazards.load(std::memory_order_relaxed);
  rte_tel_data_start_dict(d);
  rte_tel_data_add_dict_string(d, "mode", to_string(v.mode));
  add_u64(d, "kill_switch", v.kill ? 1 : 0);
  add_u64(d, "account_kill_mask", rt->safety.account_kill.load(std::memory_order_acquire));
  add_u64(d, "epoch", word >> 32);
  add_u64(d, "hazards", hazards);
  return 0;
}

// Telemetry names allow only [A-Za-z0-9_/]: "switchyard.stage.duration" with {stage: md}
// becomes "switchyard_stage_duration/stage_md".
std::string series_name(const LatencyRegistry::Merged& m) {
  std::string s = m.metric;
  for (const auto& [k, v] : m.attrs) {
    s += "/" + k + "_";
    s += std::holds_alternative<std::string>(v) ? std::get<std::string>(v)
                                                : std::to_string(std::get<int64_t>(v));
  }
  for (char& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '/') c = '_';
  return s.substr(0, RTE_TEL_MAX_STRING_LEN - 1);
}

int cmd_budgets(const char*, const char*, rte_tel_data* d) {
  std::lock_guard<std::mutex> lock(attached().mu);
  const Runtime* rt = attached().rt;
  if (rt == nullptr) return not_running(d);
  rte_tel_data_start_dict(d);
  for (const auto& m : rt->latency.snapshot()) {
    rte_tel_data* c = child_dict();
    if (c == nullptr) return -ENOMEM;
    add_u64(c, "count", m.snapshot.count);
    add_u64(c, "p50_ns", m.snapshot.quantile(0.50));
    add_u64(c, "p99_ns", m.snapshot.quantile(0.99));
    add_u64(c, "p999_ns", m.snapshot.quantile(0.999));
    add_u64(c, "max_ns", m.snapshot.max);
    rte_tel_data_add_dict_container(d, series_name(m).c_str(), c, 0);
  }
  return 0;
}

int cmd_lcores(const char*, const char*, rte_tel_data* d) {
  std::lock_guard<std::mutex> lock(attached().mu);
  const Runtime* rt = attached().rt;
  if (rt == nullptr) return not_running(d);
  rte_tel_data_start_dict(d);
  const uint64_t now = rte_rdtsc();
  for (const auto& lc : rt->lcores) {
    rte_tel_data* c = child_dict();
    if (c == nullptr) return -ENOMEM;
    rte_tel_data_add_dict_string(c, "role", conf::to_string(lc.cfg->role));
    add_u64(c, "cpu", lc.cfg->cpu);
    add_u64(c, "loops", lc.stats->loops.get());
    add_u64(c, "busy_loops", lc.stats->busy_loops.get());
    add_u64(c, "in_packets", lc.stats->in_packets.get());
    const uint64_t hb = lc.stats->heartbeat_tsc.load(std::memory_order_relaxed);
    add_u64(c, "heartbeat_age_us",
            hb && rt->tsc_hz && now > hb ? (now - hb) * 1'000'000 / rt->tsc_hz : 0);
    add_u64(c, "finished", lc.stats->finished.load() ? 1 : 0);
    rte_tel_data_add_dict_container(d, std::to_string(lc.cfg->id).c_str(), c, 0);
  }
  return 0;
}

int cmd_otlp(const char*, const char*, rte_tel_data* d) {
  std::lock_guard<std::mutex> lock(attached().mu);
  const Runtime* rt = attached().rt;
  if (rt == nullptr) return not_running(d);
  rte_tel_data_start_dict(d);
  const std::string& endpoint = rt->cfg->observe.otlp.endpoint;
  rte_tel_data_add_dict_string(d, "endpoint", endpoint.empty() ? "(off)" : endpoint.c_str());
  if (const ExportCounters* c = attached().exporter) {
    add_u64(d, "exports", c->exports.load());
    add_u64(d, "sent", c->sent.load());
    add_u64(d, "failed_attempts", c->failed_attempts.load());
    add_u64(d, "dropped", c->dropped());
    rte_tel_data_add_dict_int(d, "last_status", c->last_status.load());
  }
  return 0;
}

// Registered once per process; later appliances in the same process re-attach.
bool register_commands() {
  static const bool ok = [] {
    const struct {
      const char* name;
      telemetry_cb fn;
      const char* help;
    } cmds[] = {
        {kTelemetryCommands[0], cmd_stats, "Packets per port: rx, delivered, dropped, tx."},
        {kTelemetryCommands[1], cmd_safety, "Safety mode, kill switches, hazard bits."},
        {kTelemetryCommands[2], cmd_budgets,
         "Registered latency histograms: count, p50/p99/p99.9/max in ns."},
        {kTelemetryCommands[3], cmd_lcores, "Per lcore: role, loops, heartbeat age."},
        {kTelemetryCommands[4], cmd_otlp, "The OTLP metrics exporter's counters."},
    };
    for (const auto& c : cmds)
      if (rte_telemetry_register_cmd(c.name, c.fn, c.help) != 0) {
        std::fprintf(stderr, "switchyard: telemetry: cannot register %s\n", c.name);
        return false;
      }
    return true;
  }();
  return ok;
}

}  // namespace

DpdkObservability::DpdkObservability(const Runtime& rt, const ExportCounters* exporter) {
  const conf::Config& cfg = *rt.cfg;
  if (cfg.observe.telemetry && register_commands()) {
    std::lock_guard<std::mutex> lock(attached().mu);
    attached().rt = &rt;
    attached().exporter = exporter;
    telemetry_ = true;
  }
  // pdump talks to dpdk-dumpcap over the multi-process channel, which --in-memory disables.
  if (cfg.observe.pdump && !cfg.eal.in_memory) {
    if (rte_pdump_init() == 0)
      pdump_ = true;
    else
      std::fprintf(stderr, "switchyard: pdump: init failed: %s\n", rte_strerror(rte_errno));
  }
}

void DpdkObservability::detach() {
  if (telemetry_) {
    std::lock_guard<std::mutex> lock(attached().mu);
    attached().rt = nullptr;
    attached().exporter = nullptr;
    telemetry_ = false;
  }
  if (pdump_) {
    rte_pdump_uninit();
    pdump_ = false;
  }
}

}  // namespace sy::observe
