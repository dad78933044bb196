// Log-linear latency histograms in nanoseconds: one writer, lock-free readers, mergeable.
//
// Values below 2^kSubBits ns get one bucket each; above, every power of two is split into
// 2^kSubBits equal buckets, so a bucket is at most 1/32 (3.1%) of its value wide. Values at or
// above 2^kMaxBits ns (about 18 minutes) land in the last bucket. The owning lcore records with
// relaxed load+store (no read-modify-write, like Counter); the control lcore snapshots and
// merges without stopping it, seeing each bucket at most a few records old.
#pragma once

#include <array>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>

namespace sy {

inline constexpr unsigned kHistSubBits = 5;
inline constexpr unsigned kHistMaxBits = 40;
inline constexpr uint64_t kHistSub = uint64_t{1} << kHistSubBits;
inline constexpr size_t kHistBuckets = kHistSub * (kHistMaxBits - kHistSubBits + 1);

constexpr size_t hist_bucket_of(uint64_t v) {
  if (v < kHistSub) return static_cast<size_t>(v);
  const unsigned msb = 63u - static_cast<unsigned>(std::countl_zero(v));
  if (msb >= kHistMaxBits) return kHistBuckets - 1;
  const unsigned shift = msb - kHistSubBits;
  return static_cast<size_t>(kHistSub * (msb - kHistSubBits + 1) + ((v >> shift) - kHistSub));
}

// Smallest value that falls into bucket `b`.
constexpr uint64_t hist_bucket_lower(size_t b) {
  if (b < 2 * kHistSub) return b;
  const uint64_t group = b / kHistSub;  // >= 2
  const uint64_t sub = b % kHistSub;
  return (kHistSub + sub) << (group - 1);
}

// One past the largest value of bucket `b` (the last bucket is open-ended: UINT64_MAX).
constexpr uint64_t hist_bucket_upper(size_t b) {
  return b + 1 < kHistBuckets ? hist_bucket_lower(b + 1) : UINT64_MAX;
}

// A plain copy: merged, queried and exported off the hot path.
struct HistogramSnapshot {
  std::array<uint64_t, kHistBuckets> buckets{};
  uint64_t count = 0;
  uint64_t sum = 0;  // ns
  uint64_t max = 0;  // ns

  void record(uint64_t ns) {
    ++buckets[hist_bucket_of(ns)];
    ++count;
    sum += ns;
    if (ns > max) max = ns;
  }

  void merge(const HistogramSnapshot& o) {
    for (size_t i = 0; i < kHistBuckets; ++i) buckets[i] += o.buckets[i];
    count += o.count;
    sum += o.sum;
    if (o.max > max) max = o.max;
  }

  // The value at quantile q in [0, 1]: the upper edge of the bucket holding that rank, capped
  // at the observed maximum, so the answer is never below the true quantile and at most one
  // bucket width (3.1%) above it. 0 when empty.
  uint64_t quantile(double q) const {
    if (count == 0) return 0;
    if (q <= 0) q = 0;
    if (q >= 1) return max;
    uint64_t rank = static_cast<uint64_t>(q * static_cast<double>(count));
    if (rank >= count) rank = count - 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < kHistBuckets; ++i) {
      seen += buckets[i];
      if (seen > rank) {
        const uint64_t upper = hist_bucket_upper(i) - 1;
        return upper < max ? upper : max;
      }
    }
    return max;
  }

  // Counts at or below `ns` (for budget thresholds and explicit-bound export).
  uint64_t count_at_or_below(uint64_t ns) const {
    uint64_t n = 0;
    for (size_t i = 0; i < kHistBuckets && hist_bucket_lower(i) <= ns; ++i) n += buckets[i];
    return n;
  }
};

class Histogram {
 public:
  void record(uint64_t ns) {
    bump(buckets_[hist_bucket_of(ns)], 1);
    bump(count_, 1);
    bump(sum_, ns);
    if (ns > max_.load(std::memory_order_relaxed)) max_.store(ns, std::memory_order_relaxed);
  }

  void snapshot_into(HistogramSnapshot& out) const {
    for (size_t i = 0; i < kHistBuckets; ++i)
      out.buckets[i] += buckets_[i].load(std::memory_order_relaxed);
    out.count += count_.load(std::memory_order_relaxed);
    out.sum += sum_.load(std::memory_order_relaxed);
    const uint64_t m = max_.load(std::memory_order_relaxed);
    if (m > out.max) out.max = m;
  }

  HistogramSnapshot snapshot() const {
    HistogramSnapshot s;
    snapshot_into(s);
    return s;
  }

 private:
  static void bump(std::atomic<uint64_t>& a, uint64_t n) {
    a.store(a.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  std::array<std::atomic<uint64_t>, kHistBuckets> buckets_{};
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_{0};
  std::atomic<uint64_t> max_{0};
};

static_assert(hist_bucket_of(kHistSub - 1) == kHistSub - 1);
static_assert(hist_bucket_of(kHistSub) == kHistSub);
static_assert(hist_bucket_lower(hist_bucket_of(1000)) <= 1000);
static_assert(hist_bucket_upper(hist_bucket_of(1000)) > 1000);
static_assert(hist_bucket_of(uint64_t{1} << kHistMaxBits) == kHistBuckets - 1);

}  // namespace sy
