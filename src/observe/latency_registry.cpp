#include "src/observe/latency_registry.hpp"

#include <cassert>

namespace sy::observe {

std::vector<uint64_t> export_bounds_ns() {
  static const uint64_t kRound[] = {
      100,         200,           500,           1'000,         2'000,
      5'000,       10'000,        20'000,        50'000,        100'000,
      200'000,     500'000,       1'000'000,     2'000'000,     5'000'000,
      10'000'000,  20'000'000,    50'000'000,    100'000'000,   200'000'000,
      500'000'000, 1'000'000'000, 2'000'000'000, 5'000'000'000, 10'000'000'000};
  std::vector<uint64_t> out;
  for (uint64_t v : kRound) {
    const uint64_t last = hist_bucket_upper(hist_bucket_of(v)) - 1;
    assert(last >= v);
    out.push_back(last);
  }
  return out;
}

HistogramPoint explicit_point(const HistogramSnapshot& s, Attrs attrs) {
  static const std::vector<uint64_t> bounds = export_bounds_ns();
  HistogramPoint p;
  p.attrs = std::move(attrs);
  p.bounds.reserve(bounds.size());
  p.buckets.assign(bounds.size() + 1, 0);
  // Exported bucket of log-linear bucket b: the first bound >= its last value (both ascend).
  size_t i = 0;
  for (size_t b = 0; b < kHistBuckets; ++b) {
    if (s.buckets[b] == 0) continue;
    const uint64_t last = hist_bucket_upper(b) - 1;
    while (i < bounds.size() && bounds[i] < last) ++i;
    p.buckets[i] += s.buckets[b];
    p.count += s.buckets[b];
  }
  for (uint64_t b : bounds) p.bounds.push_back(static_cast<double>(b) * 1e-9);
  p.sum = p.count ? static_cast<double>(s.sum) * 1e-9 : 0.0;
  p.has_max = p.count > 0;
  p.max = static_cast<double>(s.max) * 1e-9;
  return p;
}

}  // namespace sy::observe
