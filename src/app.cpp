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
#include "src/summary.hpp"

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
    std::cerr << "switchyard: " << e.what() << "\n";
    rt.force_stop.store(true);
    rte_eal_mp_wait_lcore();
    teardown_pipeline(rt);
    rte_eal_cleanup();
    return kExitRuntimeFailure;
  }

  const StopOutcome stop = run_control(rt, g_signals);
  drain_leftovers(rt);
  const Summary summary =
      collect_summary(rt, stop, plan.hugepages ? "hugepages" : "--no-huge (no hugepages)");
  std::cout << summary.to_text() << std::flush;
  if (!opts.summary_json.empty()) {
    std::ofstream out(opts.summary_json);
    out << summary.to_json().dump(2) << "\n";
    if (!out) {
      std::cerr << "switchyard: cannot write " << opts.summary_json << "\n";
      code = kExitRuntimeFailure;
    }
  }
  if (code == kExitClean) code = summary.exit_code;
  teardown_pipeline(rt);
  rte_eal_cleanup();
  return code;
}

}  // namespace sy
