#include "src/control/control_plane.hpp"

#include <rte_cycles.h>
#include <rte_mempool.h>
#include <rte_ring.h>
#include <unistd.h>

#include <bit>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "lcore/execution/execution_runtime.hpp"
#include "src/control/http_api.hpp"
#include "storage/state.hpp"

namespace sy::control {

namespace {

namespace fs = std::filesystem;

std::string make_run_id() {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%016lx-%d", static_cast<unsigned long>(utc_now_ns()),
                static_cast<int>(getpid()));
  return buf;
}

std::string read_token_file(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    throw conf::ConfigError({path, 0, 0}, "control.api.token_file",
                            std::string("cannot read: ") + std::strerror(errno));
  std::string line;
  std::getline(in, line);
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
    line.pop_back();
  if (line.size() < 8 || line.size() > 256)
    throw conf::ConfigError({path, 1, 1}, "control.api.token_file",
                            "the token must be 8..256 characters (its value is not shown)");
  return line;
}

template <size_t N>
void copy_text(char (&dst)[N], const std::string& src) {
  std::snprintf(dst, N, "%s", src.c_str());
}

}  // namespace

ControlPlane::ControlPlane(Runtime& rt, const conf::Config& cfg, const std::string& config_dir)
    : rt_(rt),
      cfg_(cfg),
      run_id_(make_run_id()),
      controller_(cfg.control, !cfg.control.state_file.empty(),
                  cfg.rings.on_full == conf::FullPolicy::drop) {
  const conf::ControlConfig& c = cfg.control;
  if (!c.budgets.empty()) {
    const fs::path p =
        fs::path(c.budgets).is_absolute() ? fs::path(c.budgets) : fs::path(config_dir) / c.budgets;
    try {
      budget_specs_ = load_budgets(p.lexically_normal().string());
    } catch (const BudgetPolicyError& e) {
      throw conf::ConfigError(c.mark, "control.budgets", e.what());
    }
  }
  if (c.api.enabled) token_ = c.api.token.empty() ? read_token_file(c.api.token_file) : c.api.token;
  if (!c.audit_log.empty()) audit_ = std::make_unique<AuditWriter>(c.audit_log, run_id_);

  // Restore, and mark the run as not (yet) cleanly stopped before anything runs.
  std::optional<PersistedState> restored;
  bool unclean = false;
  std::string why = "first start: no persisted state";
  if (!c.state_file.empty()) {
    std::string error;
    restored = load_state(c.state_file, &error);
    if (!restored && !error.empty()) {
      unclean = true;
      why = error;
    } else if (restored && !restored->clean) {
      unclean = true;
      why = "the previous run did not stop cleanly";
    } else if (restored) {
      why = "clean stop before";
    }
  }
  controller_.restore(restored, unclean, why);
  // A new run number before anything runs: one more than the last run's, and never below the
  // clock's seconds, so that losing the state file cannot bring an old number back.
  const uint64_t now_s = utc_now_ns() / 1'000'000'000;
  controller_.set_run_epoch(std::max(restored ? restored->run_epoch + 1 : 0, now_s));
  if (!c.state_file.empty()) {
    PersistedState running = controller_.snapshot(false);
    std::string error;
    if (!save_state_durable(c.state_file, running, &error))
      throw std::runtime_error("control.state_file: " + error);
    persister_ = std::make_unique<StatePersister>(c.state_file);
    controller_.adopt_version(running.version);
  }
  if (unclean) std::cerr << "switchyard: starting SAFE: " << why << "\n";
}

ControlPlane::~ControlPlane() {
  if (api_) api_->stop();
  for (auto& lc : rt_.lcores) lc.ring_dwell = nullptr;
}

void ControlPlane::add_stats_provider(const std::string& name, std::function<nlohmann::json()> fn) {
  providers_[name] = std::move(fn);
}

void ControlPlane::add_view(const std::string& name, std::function<nlohmann::json()> fn) {
  views_[name] = std::move(fn);
}

void ControlPlane::add_action(const std::string& name,
                              std::function<ActionResult(const nlohmann::json&)> fn) {
  actions_[name] = std::move(fn);
}

void ControlPlane::start() {
  // Ring dwell (rx TSC to dequeue, one sample per burst) on every consumer lcore.
  for (auto& lc : rt_.lcores) {
    const char* category = nullptr;
    const char* stage = nullptr;
    switch (lc.cfg->role) {
      case conf::Role::integrity:
        category = "market_ingest", stage = "rx_to_integrity";
        break;
      case conf::Role::storage:
        category = "market_ingest", stage = "rx_to_storage";
        break;
      case conf::Role::execution:
        category = "execution", stage = "rx_to_execution";
        break;
      default:
        continue;
    }
    dwell_.push_back(std::make_unique<Histogram>());
    lc.ring_dwell = dwell_.back().get();
    registry_.add(category, stage, lc.ring_dwell);
  }
  registry_.add("control_plane", "queue", &command_queue_ns_);
  registry_.add("control_plane", "e2e", &command_e2e_ns_);
  registry_.add("reporting", "request", &request_ns_);
  evaluator_ = std::make_unique<BudgetEvaluator>(budget_specs_, registry_);
  sampler_ = std::make_unique<ResourceSampler>(cfg_.control.hazards.disk_paths,
                                               cfg_.control.hazards.sample_interval_ms);
  started_ns_ = steady_now_ns();
  launch_tsc_ = rte_rdtsc();
  publish_word();
  if (audit_)
    audit_->submit_control({"appliance.start",
                            "appliance",
                            "info",
                            0,
                            {{"run_id", run_id_},
                             {"config", cfg_.source_file},
                             {"mode", to_string(controller_.published().mode)},
                             {"state_version", controller_.version()},
                             {"budgets", budget_specs_.size()}}});
  forward_events();
  if (cfg_.control.api.enabled) {
    api_ = std::make_unique<Api>(*this);
    api_port_ = api_->start(cfg_.control.api.port);
    std::cout << "switchyard: control API on http://127.0.0.1:" << api_port_ << std::endl;
  }
  ControlStatus s;
  s.started_ns = started_ns_;
  s.tick_ns = started_ns_;
  s.mode = controller_.published().mode;
  status_.publish(s);
}

Sample ControlPlane::measure(uint64_t now_tsc, uint64_t now_ns) {
  Sample s;
  s.now_ns = now_ns;
  auto raise = [&](uint32_t bit, std::string why) {
    if (!(s.hazards & bit)) s.why[static_cast<size_t>(std::countr_zero(bit))] = std::move(why);
    s.hazards |= bit;
  };
  // Hazard bits the lcores raise themselves (storage: disk full, IO errors, backlog).
  uint32_t raised = 0;
  for (const auto& lc : rt_.lcores) raised |= lc.stats->hazards.load(std::memory_order_relaxed);
  for (uint32_t b = raised; b; b &= b - 1) raise(b & (~b + 1), "raised by an lcore");

  // Heartbeats: a silent lcore is UNKNOWN, and UNKNOWN is never healthy.
  const uint64_t timeout = rt_.tsc_hz * cfg_.control.heartbeat_timeout_ms / 1000;
  heartbeat_missing_ = 0;
  for (const auto& lc : rt_.lcores) {
    if (lc.cfg->role == conf::Role::control) continue;
    if (lc.stats->finished.load(std::memory_order_acquire)) continue;
    const uint64_t hb = lc.stats->heartbeat_tsc.load(std::memory_order_relaxed);
    const uint64_t since = hb ? hb : launch_tsc_;
    if (now_tsc <= since || now_tsc - since <= timeout) continue;
    heartbeat_missing_ |= uint64_t{1} << (lc.index & 63);
    raise(kHazardHeartbeat, "lcore " + std::to_string(lc.cfg->id) + " (" +
                                conf::to_string(lc.cfg->role) + "): no heartbeat for " +
                                std::to_string((now_tsc - since) * 1000 / rt_.tsc_hz) + " ms");
  }

  // Venue messages its session gave up (not retransmitted): raised for the sample that sees the
  // count grow, which latches SAFE until an operator, who can check the venue's own view of
  // those orders, relaxes it.
  if (rt_.execution) {
    const uint64_t n =
        rt_.execution->router_counters[static_cast<size_t>(exec::RouterCounter::replay_unavailable)]
            .get();
    if (n > replay_unavailable_seen_) {
      raise(kHazardVenueReplay,
            std::to_string(n - replay_unavailable_seen_) +
                " venue messages could not be retransmitted and were given up: orders they name "
                "cannot be found or cancelled, fills in them are not booked");
      replay_unavailable_seen_ = n;
    }
  }

  // Ring fill (data rings) and mempool free space.
  auto ring_fill = [&](const rte_ring* r) {
    if (r == nullptr) return;
    const unsigned cap = rte_ring_get_capacity(r);
    const uint32_t pct = cap ? static_cast<uint32_t>(uint64_t{rte_ring_count(r)} * 100 / cap) : 0;
    if (pct >= s.ring_fill_pct) {
      s.ring_fill_pct = pct;
      s.ring = r->name;
    }
  };
  for (const auto& lc : rt_.lcores)
    for (const rte_ring* r : {lc.md_out, lc.order_out, lc.capture_out, lc.storage_out})
      ring_fill(r);
  ring_fill(rt_.canonical);
  // Storage falling behind, for capture shedding: the raw backlog and the rings of raw captures.
  if (rt_.storage_writer && rt_.storage_state) {
    s.storage = true;
    s.storage_backlog_bytes =
        rt_.storage_state->streams[0].backlog_bytes.load(std::memory_order_relaxed);
    for (const auto& lc : rt_.lcores)
      for (const rte_ring* r : {lc.capture_out, lc.storage_out}) {
        if (r == nullptr) continue;
        const unsigned cap = rte_ring_get_capacity(r);
        const uint32_t pct =
            cap ? static_cast<uint32_t>(uint64_t{rte_ring_count(r)} * 100 / cap) : 0;
        if (pct >= s.storage_ring_fill_pct) {
          s.storage_ring_fill_pct = pct;
          s.storage_ring = r->name;
        }
      }
  }
  for (const auto& port : rt_.ports) {
    if (port->pool == nullptr || port->pool->size == 0) continue;
    const uint32_t pct = static_cast<uint32_t>(uint64_t{rte_mempool_avail_count(port->pool)} * 100 /
                                               port->pool->size);
    if (pct < s.pool_free_pct) {
      s.pool_free_pct = pct;
      s.pool = port->cfg->name;
    }
  }
  if (s.pool_free_pct < cfg_.control.backpressure.mempool_critical_pct)
    raise(kHazardMempoolLow,
          "port " + s.pool + ": " + std::to_string(s.pool_free_pct) + "% of mbufs free");

  // What the sampler thread measured.
  const conf::ControlHazardsConfig& hz = cfg_.control.hazards;
  ResourceSample r;
  if (!sampler_ || !sampler_->latest(r) ||
      now_ns - std::min(now_ns, r.taken_ns) > uint64_t{hz.sample_interval_ms} * 5'000'000) {
    raise(kHazardSamplerStale, "no resource sample for 5 intervals");
  } else {
    for (uint32_t i = 0; i < r.disks; ++i) {
      if (r.disk_errno[i])
        raise(kHazardDiskFull,
              "statvfs " + hz.disk_paths[i] + ": " + std::strerror(r.disk_errno[i]) + " (UNKNOWN)");
      else if (r.disk_free_mb[i] < hz.disk_min_free_mb)
        raise(kHazardDiskFull, hz.disk_paths[i] + ": " + std::to_string(r.disk_free_mb[i]) +
                                   " MiB free, below " + std::to_string(hz.disk_min_free_mb) +
                                   " MiB");
    }
    if (!r.proc_ok) {
      raise(kHazardSamplerStale, "/proc unreadable: descriptors and memory UNKNOWN");
    } else {
      if (r.fd_limit != UINT64_MAX && r.open_fds * 100 > uint64_t{hz.fd_max_pct} * r.fd_limit)
        raise(kHazardFdExhaustion, std::to_string(r.open_fds) + " of " +
                                       std::to_string(r.fd_limit) + " descriptors open");
      if (hz.rss_max_mb && r.rss_mb > hz.rss_max_mb)
        raise(kHazardRss, "resident " + std::to_string(r.rss_mb) + " MiB above " +
                              std::to_string(hz.rss_max_mb) + " MiB");
      if (hz.mem_min_available_mb && r.mem_available_mb < hz.mem_min_available_mb)
        raise(kHazardRss, "MemAvailable " + std::to_string(r.mem_available_mb) + " MiB below " +
                              std::to_string(hz.mem_min_available_mb) + " MiB");
    }
  }
  if (evaluator_ && evaluator_->any_required_missing()) {
    std::string missing;
    for (size_t i = 0; i < evaluator_->size(); ++i)
      if (evaluator_->state(i).status == BudgetStatus::unknown)
        missing += (missing.empty() ? "" : ", ") + evaluator_->specs()[i].id();
    raise(kHazardMetricUnknown, "required budgets without a metric: " + missing);
  }
  if (persister_ && persister_->failures() != last_persist_failures_) {
    last_persist_failures_ = persister_->failures();
    raise(kHazardPersist, "the safety state could not be written to " + cfg_.control.state_file);
  }
  return s;
}

void ControlPlane::handle_commands(uint64_t now_ns) {
  if (parked_.active) return;  // one at a time: the HTTP side waits for this one
  auto msg = commands_.try_pop();
  if (!msg) return;
  command_queue_ns_.record(now_ns - std::min(now_ns, msg->accepted_ns));
  const CommandVerdict v = controller_.command(msg->req, now_ns);
  parked_ = {true, *msg, v.http_status == 202 ? v.wait_version : 0};
  if (v.http_status == 409) {
    OutcomeMsg out;
    out.id = msg->id;
    out.http_status = 409;
    copy_text(out.error, v.error);
    parked_.active = false;
    if (audit_)
      audit_->submit_control({"control.command",
                              "operator",
                              "warning",
                              0,
                              {{"command", to_string(msg->req.kind)},
                               {"outcome", "refused"},
                               {"error", v.error},
                               {"reason", std::string(msg->req.reason)}}});
    out.state = status();
    command_e2e_ns_.record(steady_now_ns() - std::min(now_ns, msg->accepted_ns));
    outcomes_.try_push(out);
  }
}

// `persisted`: the version settle() saw in this tick. Reading the persister again here could
// see a write that completed since, and answer "applied" with the state from before it.
void ControlPlane::complete_pending(uint64_t now_ns, uint64_t persisted) {
  if (!parked_.active) return;
  const bool failed = parked_.wait_version && controller_.relax_failed(parked_.wait_version);
  if (!failed && parked_.wait_version && persisted < parked_.wait_version) return;
  OutcomeMsg out;
  out.id = parked_.msg.id;
  out.http_status = failed ? 500 : 200;
  if (failed) copy_text(out.error, "the relaxed state could not be persisted; nothing changed");
  parked_.active = false;
  const Published& p = controller_.published();
  if (audit_)
    audit_->submit_control({"control.command",
                            "operator",
                            failed ? "critical" : "info",
                            0,
                            {{"command", to_string(parked_.msg.req.kind)},
                             {"outcome", failed ? "failed" : "applied"},
                             {"reason", std::string(parked_.msg.req.reason)},
                             {"mode", to_string(p.mode)},
                             {"kill", p.kill},
                             {"accounts_killed", p.accounts},
                             {"shed_tier", p.shed},
                             {"retention_authorized", p.retention},
                             {"state_version", controller_.version()}}});
  command_e2e_ns_.record(now_ns - std::min(now_ns, parked_.msg.accepted_ns));
  out.state = status();
  outcomes_.try_push(out);
}

void ControlPlane::publish_word() {
  const Published& p = controller_.published();
  if (word_written_ && p == last_word_) return;
  rt_.safety.set(p.mode, p.kill);
  rt_.safety.set_account_kill(p.accounts);
  rt_.safety.shed.store(p.shed, std::memory_order_release);
  rt_.safety.capture_shed.store(p.capture_shed, std::memory_order_release);
  rt_.safety.retention_authorized.store(p.retention, std::memory_order_release);
  last_word_ = p;
  word_written_ = true;
}

void ControlPlane::forward_events() {
  for (auto& e : controller_.take_events())
    if (audit_) audit_->submit_control(std::move(e));
}

void ControlPlane::publish_status(uint64_t now_ns, const Sample& smp) {
  ControlStatus s;
  const Published& p = controller_.published();
  s.tick_ns = now_ns;
  s.started_ns = started_ns_;
  s.mode = p.mode;
  s.operator_mode = controller_.operator_mode();
  s.kill = p.kill;
  s.accounts = p.accounts;
  s.shed = p.shed;
  s.capture_shed = p.capture_shed;
  s.retention = p.retention;
  s.backpressure = controller_.backpressure();
  s.latched = controller_.hazard_latched();
  s.pending = controller_.pending();
  s.hazards = controller_.active_hazards();
  s.heartbeat_missing = heartbeat_missing_;
  copy_text(s.latch_reason, controller_.latch_reason());
  s.ring_fill_pct = smp.ring_fill_pct;
  copy_text(s.ring, smp.ring);
  s.pool_free_pct = smp.pool_free_pct;
  s.backpressure_events = controller_.backpressure_events();
  s.backpressure_ns = controller_.backpressure_ns_total();
  s.degrade_events = controller_.degrade_events();
  s.hazard_events = controller_.hazard_events();
  s.budget_violations = budget_violations_;
  s.version = controller_.version();
  if (evaluator_) {
    s.budgets = static_cast<uint32_t>(std::min(evaluator_->size(), kMaxStatusBudgets));
    for (uint32_t i = 0; i < s.budgets; ++i) {
      const BudgetState& b = evaluator_->state(i);
      s.budget[i] = {b.status, b.observed_ns, b.samples, b.windows, b.violations};
    }
  }
  status_.publish(s);
}

void ControlPlane::on_tick(uint64_t now_tsc) {
  const uint64_t now_ns = steady_now_ns();
  const Sample s = measure(now_tsc, now_ns);
  if (evaluator_) {
    for (size_t i : evaluator_->tick(now_ns)) {
      const BudgetState& b = evaluator_->state(i);
      const BudgetSpec& spec = evaluator_->specs()[i];
      if (b.status != BudgetStatus::violated) continue;
      ++budget_violations_;
      if (audit_)
        audit_->submit_control({"perf.budget.violation",
                                "control",
                                "warning",
                                0,
                                {{"budget", spec.category},
                                 {"stage", spec.stage},
                                 {"window_ms", spec.window_ms},
                                 {"percentile", spec.percentile},
                                 {"observed_ns", b.observed_ns},
                                 {"threshold_ns", spec.threshold_ns},
                                 {"samples", b.samples}}});
    }
  }
  controller_.observe(s);
  handle_commands(now_ns);
  const uint64_t persisted = persister_ ? persister_->persisted_version() : UINT64_MAX;
  const uint64_t failed = persister_ ? persister_->failed_version() : 0;
  if (controller_.settle(persisted, failed, now_ns) && persister_)
    persister_->request(controller_.persist_request());
  publish_word();
  forward_events();
  publish_status(now_ns, s);
  complete_pending(now_ns, persisted);
}

ControlStatus ControlPlane::status() const {
  ControlStatus s;
  status_.read(s);
  return s;
}

void ControlPlane::finish(const StopOutcome& stop, bool report_written,
                          const std::string& report_path, const std::string& report_sha256) {
  if (api_) api_->stop();
  forward_events();
  const Published& p = controller_.published();
  if (audit_) {
    if (report_written)
      audit_->submit_control({"integrity.record",
                              "appliance",
                              "info",
                              0,
                              {{"path", report_path}, {"sha256", report_sha256}, {"final", true}}});
    audit_->submit_control({"appliance.stop",
                            "appliance",
                            "info",
                            0,
                            {{"reason", to_string(stop.reason)},
                             {"forced", stop.forced},
                             {"mode", to_string(p.mode)},
                             {"budget_violations", budget_violations_},
                             {"backpressure_events", controller_.backpressure_events()},
                             {"hazard_events", controller_.hazard_events()}}});
  }
  if (persister_) {
    persister_->stop();
    std::string error;
    if (!save_state_durable(cfg_.control.state_file, controller_.snapshot(true), &error))
      std::cerr << "switchyard: safety state: " << error << "\n";
  }
  if (sampler_) sampler_->stop();
  if (audit_) audit_->stop();
}

nlohmann::json ControlPlane::report_section() const {
  const ControlStatus s = status();
  nlohmann::json j;
  j["safety"] = state_json(s);
  j["backpressure"] = {{"active", s.backpressure},
                       {"events", s.backpressure_events},
                       {"total_ms", s.backpressure_ns / 1'000'000},
                       {"degrade_events", s.degrade_events},
                       {"shed_tier", s.shed},
                       {"capture_shed_tier", s.capture_shed}};
  nlohmann::json unknown = nlohmann::json::array();
  for (const auto& lc : rt_.lcores)
    if (s.heartbeat_missing >> (lc.index & 63) & 1)
      unknown.push_back("heartbeat: lcore " + std::to_string(lc.cfg->id) + " (" +
                        conf::to_string(lc.cfg->role) + ")");
  nlohmann::json budgets = nlohmann::json::array();
  for (size_t i = 0; i < budget_specs_.size(); ++i) {
    const BudgetSpec& spec = budget_specs_[i];
    nlohmann::json b = {{"category", spec.category},     {"stage", spec.stage},
                        {"percentile", spec.percentile}, {"threshold_ns", spec.threshold_ns},
                        {"window_ms", spec.window_ms},   {"required", spec.required}};
    if (i < s.budgets) {
      const auto& st = s.budget[i];
      b["status"] = to_string(st.status);
      b["observed_ns"] = st.observed_ns;
      b["samples"] = st.samples;
      b["windows"] = st.windows;
      b["violations"] = st.violations;
      if (st.status == BudgetStatus::unknown) unknown.push_back("budget metric: " + spec.id());
    }
    budgets.push_back(b);
  }
  j["budgets"] = budgets;
  j["unknown"] = unknown;
  j["hazard_events"] = s.hazard_events;
  j["audit"] = {{"path", cfg_.control.audit_log},
                {"written", audit_ ? audit_->written() : 0},
                {"dropped", audit_ ? audit_->dropped() : 0}};
  j["state"] = {{"file", cfg_.control.state_file},
                {"version", s.version},
                {"persist_failures", persister_ ? persister_->failures() : 0}};
  return j;
}

}  // namespace sy::control
