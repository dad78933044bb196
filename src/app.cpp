#include "src/app.hpp"

#include <rte_eal.h>
#include <rte_errno.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "conf/config.hpp"
#include "drivers/eal_args.hpp"
#include "lcore/control.hpp"
#include "lcore/execution/execution_runtime.hpp"
#include "lcore/pipeline.hpp"
#include "src/common/exit_code.hpp"
#include "src/control/audit.hpp"
#include "src/control/control_plane.hpp"
#include "src/execution_control.hpp"
#include "src/gate_log.hpp"
#include "src/integrity_report.hpp"
#include "src/observe/exporter.hpp"   // observe
#include "src/observe/telemetry.hpp"  // observe
#include "src/ops/notifier_thread.hpp"
#include "src/risk/policy.hpp"
#include "src/summary.hpp"
#include "storage/state.hpp"

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>

namespace sy {

namespace {

std::atomic<int> g_signals{0};

// The store's events (retention deletions and refusals, segment failures, recovery cuts) into the
// audit trail: a non-EAL thread forwards what is new every 100 ms, and the rest at stop().
class StorageAuditForwarder {
 public:
  StorageAuditForwarder(const Runtime& rt, control::ControlPlane* plane) : rt_(rt), plane_(plane) {
    if (plane_ != nullptr && plane_->audit() != nullptr && rt_.storage_state)
      thread_ = std::thread([this] { loop(); });
  }
  ~StorageAuditForwarder() { stop(); }
  void stop() {
    if (!thread_.joinable()) return;
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
    forward();
  }

 private:
  void loop() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!cv_.wait_for(lock, std::chrono::milliseconds(100), [this] { return stopping_; }))
      forward();
  }
  void forward() {
    const std::vector<storage::StoreEvent> events = rt_.storage_state->events_copy();
    for (; next_ < events.size(); ++next_) {
      const storage::StoreEvent& e = events[next_];
      if (e.kind.rfind("storage.", 0) != 0) continue;  // hazards: the control lcore audits them
      const bool bad = e.kind.find("failed") != std::string::npos;
      plane_->audit()->submit_api(
          {e.kind, "appliance", bad ? "warning" : "info", e.time_ns, {{"detail", e.detail}}});
    }
  }

  const Runtime& rt_;
  control::ControlPlane* plane_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  size_t next_ = 0;
};

void on_signal(int) { g_signals.fetch_add(1); }

void install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

// The integrity report with the control plane's part (safety, backpressure, budgets, unknowns).
nlohmann::json with_control(nlohmann::json report, const control::ControlPlane* plane) {
  if (plane) report["control"] = plane->report_section();
  return report;
}

// Rewrites the integrity report every interval from the feeds' snapshots and the control
// plane's status. A non-EAL thread: file work never runs on an lcore. With the final write in
// run_appliance (after this thread stopped) it is the report's only writer.
class Reporter {
 public:
  Reporter(const Runtime& rt, const control::ControlPlane* plane, const std::string& path,
           uint32_t interval_ms)
      : rt_(rt), plane_(plane), path_(path), interval_(interval_ms) {
    if (!path.empty() && interval_ms > 0) thread_ = std::thread([this] { loop(); });
  }
  ~Reporter() { stop(); }
  void stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  uint64_t failures() const { return failures_; }

 private:
  void loop() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!cv_.wait_for(lock, interval_, [this] { return stopping_; })) {
      std::string error;
      if (!write_report(path_, with_control(integrity_report_live(rt_), plane_), &error)) {
        if (failures_++ == 0) std::cerr << "switchyard: integrity report: " << error << "\n";
      }
    }
  }

  const Runtime& rt_;
  const control::ControlPlane* plane_;
  std::string path_;
  std::chrono::milliseconds interval_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  uint64_t failures_ = 0;
};

}  // namespace

int run_appliance(const Options& opts, const EmbedHooks* hooks) {
  conf::Config cfg;
  drivers::EalPlan plan;
  try {
    cfg = conf::load(opts.config_path, opts.overrides);
    if (opts.check_only) {
      if (!cfg.execution.policy.empty()) risk::load_policy(cfg.execution.policy);  // validates
      std::cout << conf::dump_resolved(cfg);
      return kExitClean;
    }
    plan = drivers::derive_eal_args(cfg, drivers::probe_host());
  } catch (const conf::ConfigError& e) {
    std::cerr << e.what() << "\n";
    return kExitConfigError;
  }
  if (!plan.warning.empty()) std::cerr << "switchyard: warning: " << plan.warning << "\n";
  for (const std::string& note : drivers::remove_stale_memif_sockets(cfg))
    std::cerr << "switchyard: " << note << "\n";
  if (hooks && hooks->eal_args) hooks->eal_args(cfg, plan.args);

  std::vector<char*> argv;
  for (auto& a : plan.args) argv.push_back(a.data());
  if (rte_eal_init(static_cast<int>(argv.size()), argv.data()) < 0) {
    const int err = rte_errno;
    std::cerr << "switchyard: EAL initialisation failed: " << rte_strerror(err) << "\n";
    return err == EINVAL ? kExitConfigError : kExitRuntimeFailure;
  }
  install_signal_handlers();

  int code = kExitClean;
  Runtime rt;
  std::unique_ptr<control::ControlPlane> plane;
  try {
    if (hooks && hooks->eal_ready) hooks->eal_ready(cfg);
    build_pipeline(rt, cfg);
    // Before launch: the lcores start under the restored safety word (SAFE after an unclean stop).
    if (cfg.control.supervise) {
      plane = std::make_unique<control::ControlPlane>(rt, cfg, cfg.source_dir);
      wire_execution_control(rt, *plane);  // views, limits, execution budgets
      wire_storage_budgets(rt, *plane);
      plane->start();
    }
    launch_workers(rt);
    if (hooks && hooks->launched) hooks->launched(rt);
  } catch (const std::exception& e) {
    const bool config = dynamic_cast<const conf::ConfigError*>(&e) != nullptr;
    std::cerr << (config ? "" : "switchyard: ") << e.what() << "\n";
    rt.force_stop.store(true);
    rte_eal_mp_wait_lcore();
    teardown_pipeline(rt);
    rte_eal_cleanup();
    return config ? kExitConfigError : kExitRuntimeFailure;
  }

  Reporter reporter(rt, plane.get(), cfg.control.integrity_report, cfg.control.report_interval_ms);
  ops::NotifierThread notifier(rt);  // ops: READY/WATCHDOG/STOPPING to systemd, non-EAL thread
  StorageAuditForwarder storage_audit(rt, plane.get());
  GateLog gate_log(rt.execution ? rt.execution->gate_results : nullptr, cfg.execution.gate_log);
  observe::OtlpExporter otlp(rt);  // observe: OTLP/HTTP metrics thread (off without endpoint)
  observe::DpdkObservability dpdk_obs(rt, otlp.enabled() ? &otlp.counters() : nullptr);  // observe
  const StopOutcome stop = run_control(rt, g_signals, plane.get());
  notifier.stop();  // ops
  storage_audit.stop();
  reporter.stop();
  gate_log.stop();
  if (!gate_log.error().empty()) std::cerr << "switchyard: gate log: " << gate_log.error() << "\n";
  drain_leftovers(rt);
  otlp.stop();  // observe: one last export with the final counters
  Summary summary =
      collect_summary(rt, stop, plan.hugepages ? "hugepages" : "--no-huge (no hugepages)");
  if (plane) summary.control = plane->report_section();
  std::cout << summary.to_text() << std::flush;
  bool report_written = false;
  std::string report_sha256;
  if (!cfg.control.integrity_report.empty()) {
    std::string error;
    const nlohmann::json report = with_control(integrity_report_final(rt, summary), plane.get());
    if (!write_report(cfg.control.integrity_report, report, &error)) {
      std::cerr << "switchyard: integrity report: " << error << "\n";
      code = kExitRuntimeFailure;
    } else {
      report_written = true;
      report_sha256 = control::sha256_hex(report.dump(2) + "\n");
    }
  }
  // The audit trail links the report by its hash; the clean-stop marker is written last.
  if (plane) plane->finish(stop, report_written, cfg.control.integrity_report, report_sha256);
  if (!opts.summary_json.empty()) {
    std::ofstream out(opts.summary_json);
    out << summary.to_json().dump(2) << "\n";
    if (!out) {
      std::cerr << "switchyard: cannot write " << opts.summary_json << "\n";
      code = kExitRuntimeFailure;
    }
  }
  if (code == kExitClean) code = summary.exit_code;
  dpdk_obs.detach();  // observe: telemetry stops reading rt; pdump released
  teardown_pipeline(rt);
  rte_eal_cleanup();
  return code;
}

}  // namespace sy
