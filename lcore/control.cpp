#include "lcore/control.hpp"

#include <rte_cycles.h>
#include <rte_launch.h>

#include <string>
#include <vector>

#include "src/ops/control_hook.hpp"

namespace sy {

const char* to_string(StopReason r) {
  switch (r) {
    case StopReason::signal:
      return "signal";
    case StopReason::batch_idle:
      return "batch: input idle";
    case StopReason::batch_frames:
      return "batch: expected frames arrived";
    case StopReason::max_runtime:
      return "max_runtime_ms reached";
    case StopReason::lcore_exited:
      return "an lcore exited unexpectedly";
  }
  return "?";
}

namespace {

constexpr uint32_t kDrainPollUs = 1000;

// Sum of frames the rx lcores saw on each port.
std::vector<uint64_t> port_packets(const Runtime& rt) {
  std::vector<uint64_t> sums(rt.ports.size(), 0);
  for (const auto& lc : rt.lcores)
    for (size_t p = 0; p < sums.size(); ++p) sums[p] += lc.stats->ports[p].packets.get();
  return sums;
}

bool all_workers_finished(const Runtime& rt) {
  for (const auto& lc : rt.lcores)
    if (lc.cfg->role != conf::Role::control && !lc.stats->finished.load(std::memory_order_acquire))
      return false;
  return true;
}

void send_stop_to_rx(Runtime& rt) {
  for (auto& lc : rt.lcores) {
    if (lc.cfg->role != conf::Role::rx) continue;
    const RingMsg cmd{MsgType::command, 0, 0, 0, 0, static_cast<uint16_t>(Command::stop), 0};
    // The command ring is drained every rx loop; a full one means the lcore is stuck, and the
    // drain timeout then forces the stop.
    rte_ring_sp_enqueue_elem(lc.commands, const_cast<RingMsg*>(&cmd), sizeof cmd);
  }
}

}  // namespace

StopOutcome run_control(Runtime& rt, const std::atomic<int>& signals, ControlHooks* hooks) {
  const conf::RunConfig& run = rt.cfg->run;
  const uint64_t hz = rt.tsc_hz;
  const uint64_t start = rte_rdtsc();
  const uint64_t idle_ticks = hz * run.idle_stop_ms / 1000;
  const uint64_t max_ticks = run.max_runtime_ms ? hz * run.max_runtime_ms / 1000 : 0;

  std::vector<uint64_t> last = port_packets(rt);
  std::vector<uint64_t> last_change(rt.ports.size(), start);
  StopOutcome out;

  for (;;) {
    rte_delay_us_sleep(rt.cfg->control.period_us);
    const uint64_t now = rte_rdtsc();
    ops::observe_for_service(rt, now);  // ops: readiness and watchdog verdicts for systemd
    if (hooks) hooks->on_tick(now);
    if (signals.load() > 0) {
      out.reason = StopReason::signal;
      break;
    }
    if (max_ticks && now - start >= max_ticks) {
      out.reason = StopReason::max_runtime;
      break;
    }
    bool worker_gone = false;
    for (const auto& lc : rt.lcores)
      if (lc.cfg->role != conf::Role::control &&
          lc.stats->finished.load(std::memory_order_acquire)) {
        worker_gone = true;
        out.detail = "lcore " + std::to_string(lc.cfg->id) + " (" + conf::to_string(lc.cfg->role) +
                     ") returned before a stop was requested";
      }
    if (worker_gone) {
      out.reason = StopReason::lcore_exited;
      break;
    }
    if (run.mode != conf::RunMode::batch) continue;

    const std::vector<uint64_t> cur = port_packets(rt);
    uint64_t total = 0;
    bool any_seen = false, all_idle = true;
    for (size_t p = 0; p < cur.size(); ++p) {
      total += cur[p];
      if (cur[p] != last[p]) {
        last[p] = cur[p];
        last_change[p] = now;
      }
      if (cur[p] == 0) continue;  // a port that never received does not hold the batch open
      any_seen = true;
      if (now - last_change[p] < idle_ticks) all_idle = false;
    }
    if (run.expect_frames && total >= run.expect_frames) {
      out.reason = StopReason::batch_frames;
      break;
    }
    if (any_seen && all_idle) {
      out.reason = StopReason::batch_idle;
      break;
    }
  }
  ops::announce_stopping(rt);  // ops: systemd hears STOPPING=1 while the lcores drain
  const uint64_t stop_at = rte_rdtsc();
  out.run_seconds = static_cast<double>(stop_at - start) / static_cast<double>(hz);

  // Shutdown protocol: stop rx; each stage drains its inputs, passes the end marker on, returns.
  send_stop_to_rx(rt);
  const int signals_at_stop = signals.load();
  const uint64_t deadline = stop_at + hz * run.drain_timeout_ms / 1000;
  while (!all_workers_finished(rt)) {
    if (rte_rdtsc() >= deadline || signals.load() > signals_at_stop) {
      out.forced = true;
      rt.force_stop.store(true, std::memory_order_relaxed);
      break;
    }
    rte_delay_us_sleep(kDrainPollUs);
  }
  rte_eal_mp_wait_lcore();
  out.drain_seconds = static_cast<double>(rte_rdtsc() - stop_at) / static_cast<double>(hz);
  return out;
}

}  // namespace sy
