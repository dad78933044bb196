// A bounded single-producer single-consumer queue between two threads, without locks.
//
// Used wherever the control path crosses threads: HTTP thread -> control lcore (commands),
// control lcore -> audit writer and state persister. Neither side ever waits on the other: a
// full queue makes try_push return false and the producer counts it. Capacity is a power of
// two; the head and tail live on separate cache lines, and each side caches the other's index
// so that the common case touches only its own line.
#pragma once

#include <array>
#include <atomic>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>

namespace sy::control {

template <typename T, size_t Capacity>
class SpscQueue {
  static_assert(Capacity >= 2 && (Capacity & (Capacity - 1)) == 0, "power of two");

 public:
  // Producer side.
  bool try_push(T value) {
    const uint64_t tail = tail_.load(std::memory_order_relaxed);
    if (tail - head_cache_ >= Capacity) {
      head_cache_ = head_.load(std::memory_order_acquire);
      if (tail - head_cache_ >= Capacity) return false;
    }
    slots_[tail & (Capacity - 1)] = std::move(value);
    tail_.store(tail + 1, std::memory_order_release);
    return true;
  }

  // Consumer side.
  std::optional<T> try_pop() {
    const uint64_t head = head_.load(std::memory_order_relaxed);
    if (head == tail_cache_) {
      tail_cache_ = tail_.load(std::memory_order_acquire);
      if (head == tail_cache_) return std::nullopt;
    }
    T value = std::move(slots_[head & (Capacity - 1)]);
    head_.store(head + 1, std::memory_order_release);
    return value;
  }

  // Either side: an estimate (exact when the other side is idle).
  size_t size() const {
    return static_cast<size_t>(tail_.load(std::memory_order_acquire) -
                               head_.load(std::memory_order_acquire));
  }

 private:
  alignas(64) std::atomic<uint64_t> head_{0};
  uint64_t tail_cache_ = 0;  // consumer's copy of tail_
  alignas(64) std::atomic<uint64_t> tail_{0};
  uint64_t head_cache_ = 0;  // producer's copy of head_
  alignas(64) std::array<T, Capacity> slots_{};
};

}  // namespace sy::control
