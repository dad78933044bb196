// Reads the running appliance into a MetricSet: counters by port, class, lcore, feed and drop
// reason, gauges of rings, mempools, safety and disks, and the registered latency histograms.
// Runs on a non-EAL thread; reads only single-writer counters, snapshots and DPDK read-only
// calls, so the lcores are never stopped or slowed.
#pragma once

#include <string>

#include "lcore/runtime.hpp"
#include "src/observe/export_counters.hpp"
#include "src/observe/metric_set.hpp"

namespace sy::observe {

inline constexpr const char* kScopeName = "switchyard";

// service.name, service.version, service.instance.id, host.name, process.pid.
Attrs resource_attributes(const conf::Config& cfg);

struct CollectContext {
  Attrs resource;
  uint64_t start_ns = 0;                     // process start, UTC ns
  const ExportCounters* exporter = nullptr;  // optional: the exporter's own counters
};

MetricSet collect_metrics(const Runtime& rt, const CollectContext& ctx);

uint64_t wall_clock_ns();

}  // namespace sy::observe
