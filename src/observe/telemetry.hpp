// DPDK conventions for a running appliance: /switchyard/* commands on the DPDK telemetry
// socket (read with dpdk-telemetry.py), and pdump so that dpdk-dumpcap can capture its ports.
//
// Telemetry callbacks run on DPDK's telemetry thread (non-EAL) and read the same single-writer
// counters and snapshots as the exporters. DPDK cannot unregister a command, so the callbacks
// answer "not running" once detach() has been called, before the Runtime goes away.
#pragma once

#include "lcore/runtime.hpp"
#include "src/observe/export_counters.hpp"

namespace sy::observe {

class DpdkObservability {
 public:
  // After rte_eal_init and build_pipeline. `exporter` may be null (no OTLP export).
  DpdkObservability(const Runtime& rt, const ExportCounters* exporter);
  ~DpdkObservability() { detach(); }
  DpdkObservability(const DpdkObservability&) = delete;
  DpdkObservability& operator=(const DpdkObservability&) = delete;

  // Before teardown: the commands stop reading the Runtime; pdump is released.
  void detach();

  bool telemetry() const { return telemetry_; }
  bool pdump() const { return pdump_; }

 private:
  bool telemetry_ = false;
  bool pdump_ = false;
};

// The command names registered (for docs and tests).
inline constexpr const char* kTelemetryCommands[] = {"/switchyard/stats", "/switchyard/safety",
                                                     "/switchyard/budgets", "/switchyard/lcores",
                                                     "/switchyard/otlp"};

}  // namespace sy::observe
