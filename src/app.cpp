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
#include "lcore/pipeline.hpp"
#include "src/common/exit_code.hpp"
#include "src/integrity_report.hpp"
#include "src/observe/exporter.hpp"   // observe
#include "src/observe/telemetry.hpp"  // observe
#include "src/summary.hpp"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace sy {

namespace {

std::atomic<int> g_signals{0};

void on_signal(int) { g_signals.fetch_add(1); }

void install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

// Rewrites the integrity report every interval from the feeds' snapshots. A non-EAL thread:
// file work never runs on an lcore.
class Reporter {
 public:
  Reporter(const Runtime& rt, const std::string& path, uint32_t interval_ms)
      : rt_(rt), path_(path), interval_(interval_ms) {
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
      if (!write_report(path_, integrity_report_live(rt_), &error)) {
        if (failures_++ == 0) std::cerr << "switchyard: integrity report: " << error << "\n";
      }
    }
  }

  const Runtime& rt_;
  std::string path_;
  std::chrono::milliseconds interval_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  uint64_t failures_ = 0;
};

}  // namespace

int run_appliance(const Options& opts) {
  conf::Config cfg;
  drivers::EalPlan plan;
  try {
    cfg = conf::load(opts.config_path, opts.overrides);
    if (opts.check_only) {
      std::cout << conf::dump_resolved(cfg);
      return kExitClean;
    }
    plan = drivers::derive_eal_args(cfg, drivers::probe_host());
  } catch (const conf::ConfigError& e) {
    std::cerr << e.what() << "\n";
    return kExitConfigError;
  }
  if (!plan.warning.empty()) std::cerr << "switchyard: warning: " << plan.warning << "\n";

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
  try {
    build_pipeline(rt, cfg);
    launch_workers(rt);
  } catch (const std::exception& e) {
    const bool config = dynamic_cast<const conf::ConfigError*>(&e) != nullptr;
    std::cerr << (config ? "" : "switchyard: ") << e.what() << "\n";
    rt.force_stop.store(true);
    rte_eal_mp_wait_lcore();
    teardown_pipeline(rt);
    rte_eal_cleanup();
    return config ? kExitConfigError : kExitRuntimeFailure;
  }

  Reporter reporter(rt, cfg.control.integrity_report, cfg.control.report_interval_ms);
  observe::OtlpExporter otlp(rt);  // observe: OTLP/HTTP metrics thread (off without endpoint)
  observe::DpdkObservability dpdk_obs(rt, otlp.enabled() ? &otlp.counters() : nullptr);  // observe
  const StopOutcome stop = run_control(rt, g_signals);
  reporter.stop();
  drain_leftovers(rt);
  otlp.stop();  // observe: one last export with the final counters
  const Summary summary =
      collect_summary(rt, stop, plan.hugepages ? "hugepages" : "--no-huge (no hugepages)");
  std::cout << summary.to_text() << std::flush;
  if (!cfg.control.integrity_report.empty()) {
    std::string error;
    if (!write_report(cfg.control.integrity_report, integrity_report_final(rt, summary), &error)) {
      std::cerr << "switchyard: integrity report: " << error << "\n";
      code = kExitRuntimeFailure;
    }
  }
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
