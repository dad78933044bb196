// Orchestration of one appliance run: config -> EAL -> pipeline -> lcores -> summary.
#pragma once

#include <string>
#include <vector>

namespace sy {

struct Options {
  std::string config_path;
  std::vector<std::string> overrides;  // --set key.path=value, in order
  bool check_only = false;             // --check-config
  std::string summary_json;            // --summary-json FILE
};

// Returns the process exit code (src/common/exit_code.hpp).
int run_appliance(const Options& opts);

}  // namespace sy
