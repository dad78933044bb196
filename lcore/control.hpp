// control lcore (the EAL main lcore): decides when to stop and runs the shutdown protocol.
// Latency budgets, shedding, hazards and safety modes grow here; file, HTTP and notification
// work stays on non-EAL threads.
#pragma once

#include <atomic>
#include <string>

#include "lcore/runtime.hpp"

namespace sy {

enum class StopReason : uint8_t { signal, batch_idle, batch_frames, max_runtime, lcore_exited };
const char* to_string(StopReason r);

struct StopOutcome {
  StopReason reason = StopReason::signal;
  bool forced = false;       // drain timeout or a second signal: lcores left before draining
  double run_seconds = 0;    // launch to stop decision
  double drain_seconds = 0;  // stop decision to every lcore returned
  std::string detail;
};

// Runs until a stop condition, then stops rx, waits for every lcore to drain (bounded by
// run.drain_timeout_ms) and returns. `signals` counts SIGINT/SIGTERM received.
StopOutcome run_control(Runtime& rt, const std::atomic<int>& signals);

}  // namespace sy
