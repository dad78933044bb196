// Safety modes, kill switches and capacity hazards: the words the hot lcores read per burst.
//
// The control lcore is the only writer of SafetyState (operator commands reach it through its
// command path; persistence happens on a non-EAL thread before a relaxation takes effect). Hot
// lcores load `word` once per burst (relaxed) and act on it. Hazards travel the other way: each
// lcore raises bits in its own LcoreStats::hazards (single writer), and the control lcore maps
// them to modes.
#pragma once

#include <atomic>
#include <cstdint>

namespace sy {

// Ordered by severity: a larger value never allows more than a smaller one.
enum class SafetyMode : uint8_t {
  normal = 0,          // everything allowed
  degraded = 1,        // shedding active; orders allowed
  safe = 2,            // only cancels leave; no destructive storage operations
  emergency_stop = 3,  // nothing new leaves; every open order is cancelled at the venue
};

constexpr const char* to_string(SafetyMode m) {
  switch (m) {
    case SafetyMode::normal:
      return "NORMAL";
    case SafetyMode::degraded:
      return "DEGRADED";
    case SafetyMode::safe:
      return "SAFE";
    case SafetyMode::emergency_stop:
      return "EMERGENCY_STOP";
  }
  return "UNKNOWN";
}

inline constexpr unsigned kMaxAccounts = 64;  // per-account kill switches are bits of one word

// Bits of LcoreStats::hazards (what a role raises) and of the control lcore's hazard set.
enum HazardBit : uint32_t {
  kHazardDiskFull = 1u << 0,        // storage: ENOSPC or free space under the reserve
  kHazardStorageIo = 1u << 1,       // storage: EIO, short write, failed open/allocate
  kHazardStorageBacklog = 1u << 2,  // storage: backlog bytes or completion latency over limit
  kHazardRingFill = 1u << 3,
  kHazardMempoolLow = 1u << 4,
  kHazardFdExhaustion = 1u << 5,
  kHazardRss = 1u << 6,
  kHazardHeartbeat = 1u << 7,  // an lcore stopped publishing its heartbeat (UNKNOWN)
  kHazardVenueDown = 1u << 8,  // execution: the venue session is not established
  // The venue could not replay part of its session after a login: orders of earlier runs that
  // only those messages name cannot be found or cancelled (raised once per new count).
  kHazardVenueReplay = 1u << 9,
};

struct SafetyState {
  // bits 0-7: SafetyMode; bit 8: global kill switch; bits 32-63: epoch (bumped per change, so
  // a reader can tell that something changed even if it changed back).
  std::atomic<uint64_t> word{0};
  std::atomic<uint64_t> account_kill{0};  // bit a: account index a is killed

  // Priority shedding the rx lcores apply per burst: 0 nothing, 1 shed P2, 2 shed P1 and P2
  // (P0 is never shed). Counted as drop reasons shed_p2 / shed_p1.
  std::atomic<uint32_t> shed{0};
  // Capture shedding (storage falling behind): 0 nothing, 1 P2 capture shed, 2 P1 and P2. The
  // packets are still processed; only their raw copy is not written to the store. Applied by
  // the rx lcores (no copy is taken) and the storage lcore (what is already queued), counted
  // as capture_shed_p2 / capture_shed_p1. P0 capture is never shed.
  std::atomic<uint32_t> capture_shed{0};
  // The operator authorized storage's retention deletes while SAFE or EMERGENCY_STOP
  // (POST /control/retention/authorize). Storage must check it before a destructive operation in
  // those modes; it is cleared when the appliance leaves SAFE.
  std::atomic<bool> retention_authorized{false};

  static constexpr uint64_t kKillBit = uint64_t{1} << 8;

  SafetyMode mode() const {
    return static_cast<SafetyMode>(word.load(std::memory_order_acquire) & 0xff);
  }
  bool global_kill() const { return (word.load(std::memory_order_acquire) & kKillBit) != 0; }
  bool account_killed(unsigned account) const {
    return account < kMaxAccounts &&
           ((account_kill.load(std::memory_order_acquire) >> account) & 1u) != 0;
  }

  // Writer side (control lcore only).
  void set(SafetyMode m, bool kill) {
    const uint64_t epoch = (word.load(std::memory_order_relaxed) >> 32) + 1;
    word.store(epoch << 32 | (kill ? kKillBit : 0) | static_cast<uint64_t>(m),
               std::memory_order_release);
  }
  void set_account_kill(uint64_t mask) { account_kill.store(mask, std::memory_order_release); }
};

// Decoded view of one load of SafetyState::word, for the per-burst check.
struct SafetyView {
  SafetyMode mode;
  bool kill;
  static SafetyView of(uint64_t word) {
    return {static_cast<SafetyMode>(word & 0xff), (word & SafetyState::kKillBit) != 0};
  }
};

}  // namespace sy
