// What the service manager (systemd) is told about the appliance. The control lcore decides
// (readiness, liveness of every lcore, the stop decision) and publishes its verdicts here; the
// notifier thread (src/ops/notifier.hpp) reads them and does the socket work. Only atomics: the
// control lcore never blocks on the notification path.
#pragma once

#include <atomic>
#include <cstdint>

namespace sy::ops {

// Whether a heartbeat stamp (TSC of an lcore's last loop, 0: never ran) is recent enough. TSC
// reads on two cores can disagree by a few ticks, so a stamp slightly ahead of `now` is fresh.
constexpr bool heartbeat_alive(uint64_t stamp, uint64_t now, uint64_t max_age) {
  return stamp != 0 && (stamp >= now || now - stamp <= max_age);
}

class ServiceStatus {
 public:
  static constexpr int32_t kNone = -1;

  // --- control lcore (single writer) ---

  // One liveness verdict per control period. The sequence number lets the notifier tell a
  // fresh verdict from a stale one: if the control lcore itself stops, the sequence stops too
  // and the watchdog is withheld although the last verdict was "alive".
  void publish_verdict(bool all_alive, int32_t stale_lcore) {
    stale_lcore_.store(stale_lcore, std::memory_order_relaxed);
    const uint64_t seq = (verdict_.load(std::memory_order_relaxed) >> 1) + 1;
    verdict_.store(seq << 1 | (all_alive ? 1u : 0u), std::memory_order_release);
  }
  // Not ready yet, and why: the first lcore that has not run a loop, the first port whose link
  // is down (kNone when that is not the reason).
  void publish_waiting(int32_t unreported_lcore, int32_t port_down) {
    unreported_lcore_.store(unreported_lcore, std::memory_order_relaxed);
    port_down_.store(port_down, std::memory_order_relaxed);
  }
  void publish_ready() { ready_.store(true, std::memory_order_release); }
  void publish_stopping() { stopping_.store(true, std::memory_order_release); }

  // --- notifier (reader) ---

  struct Verdict {
    uint64_t seq = 0;  // 0: no verdict yet
    bool all_alive = false;
  };
  Verdict verdict() const {
    const uint64_t v = verdict_.load(std::memory_order_acquire);
    return {v >> 1, (v & 1u) != 0};
  }
  bool ready() const { return ready_.load(std::memory_order_acquire); }
  bool stopping() const { return stopping_.load(std::memory_order_acquire); }
  int32_t stale_lcore() const { return stale_lcore_.load(std::memory_order_relaxed); }
  int32_t unreported_lcore() const { return unreported_lcore_.load(std::memory_order_relaxed); }
  int32_t port_down() const { return port_down_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> verdict_{0};  // seq << 1 | all_alive
  std::atomic<bool> ready_{false};    // set once: ports up and every lcore has run a loop
  std::atomic<bool> stopping_{false};
  std::atomic<int32_t> stale_lcore_{kNone};
  std::atomic<int32_t> unreported_lcore_{kNone};
  std::atomic<int32_t> port_down_{kNone};
};

}  // namespace sy::ops
