// The persisted safety state: mode, the floors it is made of, and the kill switches.
//
// Written durably (temporary file, fsync, rename, fsync of the directory) by a non-EAL thread;
// the control lcore applies a relaxation only after the version carrying it is on disk, so what
// the process lets out is never less safe than what a restart would restore. `clean` is written
// true only by a clean stop, and false again at start: a start that finds it false (or finds the
// file unreadable) comes up SAFE.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "src/common/safety.hpp"
#include "src/control/spsc_queue.hpp"

namespace sy::control {

inline constexpr const char* kStateSchema = "switchyard.safety_state.v1";

struct PersistedState {
  uint64_t version = 0;
  SafetyMode mode = SafetyMode::normal;           // effective mode when written
  SafetyMode operator_mode = SafetyMode::normal;  // the floor an operator set
  bool hazard_latched = false;                    // SAFE held until an operator relaxes it
  char latch_reason[96] = {};
  bool kill = false;
  uint64_t accounts_killed = 0;
  bool clean = false;
  // Numbers the runs, strictly increasing across restarts: the execution path puts it in every
  // venue order token, so that a restarted appliance knows its earlier runs' orders apart.
  uint64_t run_epoch = 0;
  uint64_t written_ns = 0;
};

std::optional<SafetyMode> parse_mode(const std::string& s);

// The file's content, or nullopt with `error` set (missing file: error empty).
std::optional<PersistedState> load_state(const std::string& path, std::string* error);

// Writes durably; false with `error` set on any failure.
bool save_state_durable(const std::string& path, const PersistedState& s, std::string* error);

class StatePersister {
 public:
  explicit StatePersister(std::string path);
  ~StatePersister();
  StatePersister(const StatePersister&) = delete;
  StatePersister& operator=(const StatePersister&) = delete;

  // Control lcore: queue a version for writing. False when the queue is full (retry next tick).
  bool request(const PersistedState& s);
  // Highest version durably written / highest version whose write failed.
  uint64_t persisted_version() const { return persisted_.load(std::memory_order_acquire); }
  uint64_t failed_version() const { return failed_.load(std::memory_order_acquire); }
  uint64_t failures() const { return failures_.load(std::memory_order_relaxed); }
  void stop();

 private:
  void loop();
  std::string path_;
  SpscQueue<PersistedState, 64> queue_;
  std::atomic<uint64_t> persisted_{0}, failed_{0}, failures_{0};
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  std::thread thread_;
};

}  // namespace sy::control
