// Orchestration of one appliance run: config -> EAL -> pipeline -> lcores -> summary.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace sy {

namespace conf {
struct Config;
}
struct Runtime;

struct Options {
  std::string config_path;
  std::vector<std::string> overrides;  // --set key.path=value, in order
  bool check_only = false;             // --check-config
  std::string summary_json;            // --summary-json FILE
};

// What an in-process harness adds to one run (perf/bench_exec_ring.cpp: the appliance over
// net_ring ports with its load on an extra lcore). Called once each at start-up, never on an
// lcore; the production binary passes none. Any member may be empty.
struct EmbedHooks {
  // Edits the EAL arguments derived from the config (e.g. an extra lcore, or dropping a --vdev
  // for a device the harness creates itself).
  std::function<void(const conf::Config&, std::vector<std::string>& eal_args)> eal_args;
  // After rte_eal_init, before the pipeline looks up the configured ports: creates devices.
  std::function<void(const conf::Config&)> eal_ready;
  // After the lcores are launched: may launch work on lcores the config does not use, which
  // must return once the appliance stops (the control lcore waits for every lcore).
  std::function<void(Runtime&)> launched;
};

// Returns the process exit code (src/common/exit_code.hpp).
int run_appliance(const Options& opts, const EmbedHooks* hooks = nullptr);

}  // namespace sy
