// Single-writer counters that other lcores read without locks.
//
// The owning lcore does a relaxed load+store (no read-modify-write, no lock prefix); readers
// see a value that is at most a few increments old, never torn.
#pragma once

#include <atomic>
#include <cstdint>

namespace sy {

class Counter {
 public:
  void add(uint64_t n) {
    v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  void inc() { add(1); }
  void set(uint64_t n) { v_.store(n, std::memory_order_relaxed); }
  uint64_t get() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};
static_assert(std::atomic<uint64_t>::is_always_lock_free);

}  // namespace sy
