// Process exit codes (documented in docs/operations.md and the README).
#pragma once

namespace sy {

enum ExitCode : int {
  kExitClean = 0,           // clean stop, nothing dropped or left unpersisted
  kExitRuntimeFailure = 1,  // a port or lcore failed; reason printed
  kExitConfigError = 2,     // configuration or usage error; file:line:column printed
  kExitDataLoss = 3,        // stopped, but data was lost for lack of capacity; counts printed
};

}  // namespace sy
