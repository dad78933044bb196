// control lcore (the EAL main lcore): decides when to stop and runs the shutdown protocol.
// Latency budgets, shedding, hazards and safety modes grow here; file, HTTP and notification
// work stays on non-EAL threads.
#pragma once

#include <atomic>
#include <cstdint>
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

// What the control plane (src/control) does on every tick of the control lcore, until the stop
// decision. Runs on the control lcore: memory reads and decisions only, never I/O or waits.
class ControlHooks {
 public:
  virtual ~ControlHooks() = default;
  virtual void on_tick(uint64_t now_tsc) = 0;
};

// Runs until a stop condition, then stops rx, waits for every lcore to drain (bounded by
// run.drain_timeout_ms) and returns. `signals` counts SIGINT/SIGTERM received. `hooks` (may be
// null) ticks every control.period_us.
StopOutcome run_control(Runtime& rt, const std::atomic<int>& signals,
                        ControlHooks* hooks = nullptr);

}  // namespace sy
