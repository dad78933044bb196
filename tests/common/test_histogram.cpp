#include "src/common/histogram.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

namespace sy {
namespace {

TEST(Histogram, BucketsTileTheRangeWithoutGaps) {
  for (size_t b = 0; b + 1 < kHistBuckets; ++b) {
    ASSERT_LT(hist_bucket_lower(b), hist_bucket_lower(b + 1)) << b;
    ASSERT_EQ(hist_bucket_of(hist_bucket_lower(b)), b) << b;
    ASSERT_EQ(hist_bucket_of(hist_bucket_upper(b) - 1), b) << b;
  }
}

TEST(Histogram, BucketWidthIsAtMostOneThirtySecondOfItsValue) {
  for (size_t b = kHistSub; b + 1 < kHistBuckets; ++b) {
    const uint64_t width = hist_bucket_upper(b) - hist_bucket_lower(b);
    ASSERT_LE(width * kHistSub, hist_bucket_lower(b)) << b;
  }
}

TEST(Histogram, QuantilesBracketTheExactOnes) {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> dist(7.0, 1.5);
  std::vector<uint64_t> values;
  Histogram h;
  for (int i = 0; i < 100000; ++i) {
    const auto v = static_cast<uint64_t>(dist(rng));
    values.push_back(v);
    h.record(v);
  }
  std::sort(values.begin(), values.end());
  const HistogramSnapshot s = h.snapshot();
  EXPECT_EQ(s.count, values.size());
  EXPECT_EQ(s.max, values.back());
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    const uint64_t exact = values[static_cast<size_t>(q * static_cast<double>(values.size()))];
    const uint64_t got = s.quantile(q);
    EXPECT_GE(got, exact) << q;
    EXPECT_LE(got, exact + exact / 32 + 1) << q;
  }
  EXPECT_EQ(s.quantile(1.0), values.back());
}

TEST(Histogram, MergeEqualsRecordingEverythingInOne) {
  Histogram a, b, all;
  for (uint64_t v = 1; v < 5000000; v = v * 3 / 2 + 1) {
    (v % 2 ? a : b).record(v);
    all.record(v);
  }
  HistogramSnapshot merged = a.snapshot();
  merged.merge(b.snapshot());
  const HistogramSnapshot one = all.snapshot();
  EXPECT_TRUE(merged.buckets == one.buckets);
  EXPECT_EQ(merged.count, one.count);
  EXPECT_EQ(merged.sum, one.sum);
  EXPECT_EQ(merged.max, one.max);
}

TEST(Histogram, HugeValuesLandInTheLastBucket) {
  Histogram h;
  h.record(UINT64_MAX / 2);
  EXPECT_EQ(h.snapshot().buckets[kHistBuckets - 1], 1u);
  EXPECT_EQ(HistogramSnapshot{}.quantile(0.99), 0u);
}

}  // namespace
}  // namespace sy
