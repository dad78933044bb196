// The control lcore's part of service notification: once per control period it judges whether
// every lcore is alive and whether the appliance is ready, and at the stop decision it says so.
// Header-only so that the control lcore needs nothing linked from src/ops; no syscalls, no
// allocation (rte_eth_link_get_nowait reads the PMD's link state, and only until ready).
#pragma once

#include <rte_ethdev.h>

#include "lcore/runtime.hpp"
#include "src/ops/service_status.hpp"

namespace sy::ops {

inline void observe_for_service(Runtime& rt, uint64_t now) {
  ServiceStatus& s = rt.service;
  const uint64_t max_age = rt.tsc_hz * rt.cfg->service.heartbeat_timeout_ms / 1000;
  int32_t stale = ServiceStatus::kNone, unreported = ServiceStatus::kNone;
  for (size_t i = 0; i < rt.lcores.size(); ++i) {
    const LcoreRuntime& lc = rt.lcores[i];
    if (lc.cfg->role == conf::Role::control) continue;  // the caller: alive by running this
    const uint64_t stamp = lc.stats->heartbeat_tsc.load(std::memory_order_relaxed);
    if (stamp == 0 && unreported == ServiceStatus::kNone) unreported = static_cast<int32_t>(i);
    if (!heartbeat_alive(stamp, now, max_age) && stale == ServiceStatus::kNone)
      stale = static_cast<int32_t>(i);
  }
  s.publish_verdict(stale == ServiceStatus::kNone, stale);
  if (s.ready()) return;

  // Ready: every lcore alive (so each has run a loop) and, when asked, every link up.
  int32_t port_down = ServiceStatus::kNone;
  if (stale == ServiceStatus::kNone && rt.cfg->service.ready_requires_link)
    for (size_t p = 0; p < rt.ports.size(); ++p) {
      rte_eth_link link{};
      if (rte_eth_link_get_nowait(rt.ports[p]->dpdk_port, &link) != 0 ||
          link.link_status != RTE_ETH_LINK_UP) {
        port_down = static_cast<int32_t>(p);
        break;
      }
    }
  s.publish_waiting(unreported, port_down);
  if (stale == ServiceStatus::kNone && port_down == ServiceStatus::kNone) s.publish_ready();
}

inline void announce_stopping(Runtime& rt) { rt.service.publish_stopping(); }

}  // namespace sy::ops
