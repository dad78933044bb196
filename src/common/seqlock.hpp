// One writer, many readers, no locks: the writer makes the sequence odd, copies the value in
// 8-byte relaxed atomic words, and makes it even again; a reader retries while the sequence is
// odd or changed under it. The words are atomics, so a torn read is a retry, never a data race.
//
// Ordering: writer: seq.store(odd, relaxed); fence(release); words (relaxed); seq.store(even,
// release). Reader: s1 = seq.load(acquire); words (relaxed); fence(acquire); s2 = seq.load
// (relaxed); accept if s1 == s2 and even. The release fence orders the odd store before the
// words; the acquire fence orders the word loads before the second sequence load.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace sy {

template <typename T>
class Seqlock {
  static_assert(std::is_trivially_copyable_v<T>);
  static constexpr size_t kWords = (sizeof(T) + 7) / 8;

 public:
  void publish(const T& value) {
    uint64_t words[kWords] = {};
    std::memcpy(words, &value, sizeof(T));
    const uint64_t s = seq_.load(std::memory_order_relaxed);
    seq_.store(s + 1, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);
    for (size_t i = 0; i < kWords; ++i) words_[i].store(words[i], std::memory_order_relaxed);
    seq_.store(s + 2, std::memory_order_release);
  }

  // False if the writer kept it busy for `attempts` tries, or nothing was published yet.
  bool read(T& out, unsigned attempts = 1000) const {
    uint64_t words[kWords];
    for (unsigned a = 0; a < attempts; ++a) {
      const uint64_t s1 = seq_.load(std::memory_order_acquire);
      if (s1 & 1) continue;
      for (size_t i = 0; i < kWords; ++i) words[i] = words_[i].load(std::memory_order_relaxed);
      std::atomic_thread_fence(std::memory_order_acquire);
      if (seq_.load(std::memory_order_relaxed) != s1) continue;
      if (s1 == 0) return false;
      std::memcpy(&out, words, sizeof(T));
      return true;
    }
    return false;
  }

 private:
  std::atomic<uint64_t> seq_{0};
  std::atomic<uint64_t> words_[kWords]{};
};

}  // namespace sy
