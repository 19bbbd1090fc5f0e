#include "pcfdemo/latency_histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace pcfdemo {
namespace {

// The exact value at `percent` by the same rank rule the histogram uses.
int64_t ExactPercentile(std::vector<int64_t> values, double percent) {
  std::sort(values.begin(), values.end());
  auto rank = static_cast<int64_t>(std::ceil(percent / 100.0 * values.size()));
  rank = std::clamp<int64_t>(rank, 1, static_cast<int64_t>(values.size()));
  return values[static_cast<size_t>(rank - 1)];
}

TEST(LatencyHistogramTest, EmptyHistogramReportsZero) {
  LatencyHistogram histogram;
  EXPECT_EQ(histogram.Count(), 0);
  EXPECT_EQ(histogram.Percentile(50), 0);
  EXPECT_EQ(histogram.Percentile(99), 0);
  EXPECT_EQ(histogram.MinMicros(), 0);
  EXPECT_EQ(histogram.MaxMicros(), 0);
}

TEST(LatencyHistogramTest, SmallValuesAreExact) {
  LatencyHistogram histogram;
  for (int64_t v = 0; v < 32; ++v) histogram.Record(v);
  EXPECT_EQ(histogram.Count(), 32);
  EXPECT_EQ(histogram.Percentile(50), 15);  // rank 16 of 0..31
  EXPECT_EQ(histogram.Percentile(100), 31);
  EXPECT_EQ(histogram.Percentile(0), 0);
}

TEST(LatencyHistogramTest, BucketsTileTheRangeWithoutGapsAndStayNarrow) {
  for (int i = 0; i + 1 < LatencyHistogram::kBucketCount; ++i) {
    ASSERT_EQ(LatencyHistogram::BucketUpper(i), LatencyHistogram::BucketLower(i + 1)) << i;
    int64_t lower = LatencyHistogram::BucketLower(i);
    int64_t width = LatencyHistogram::BucketUpper(i) - lower;
    if (lower >= 32) {
      ASSERT_LE(static_cast<double>(width) / lower, 1.0 / 32) << i;
    }
    ASSERT_EQ(LatencyHistogram::BucketIndex(lower), i);
    ASSERT_EQ(LatencyHistogram::BucketIndex(LatencyHistogram::BucketUpper(i) - 1), i);
  }
  // 100 seconds is inside the tracked range, not in the overflow bucket.
  EXPECT_LT(LatencyHistogram::BucketIndex(100'000'000), LatencyHistogram::kBucketCount - 1);
}

TEST(LatencyHistogramTest, PercentilesOfSpreadValuesAreWithinBucketError) {
  std::mt19937_64 random(42);
  std::lognormal_distribution<double> latency_us(std::log(5000.0), 1.0);
  std::vector<int64_t> values;
  LatencyHistogram histogram;
  for (int i = 0; i < 20000; ++i) {
    auto v = static_cast<int64_t>(latency_us(random)) + 1;
    values.push_back(v);
    histogram.Record(v);
  }
  for (double percent : {1.0, 10.0, 50.0, 90.0, 95.0, 99.0, 99.9}) {
    double exact = static_cast<double>(ExactPercentile(values, percent));
    EXPECT_NEAR(histogram.Percentile(percent), exact, exact * 0.03) << percent;
  }
  EXPECT_EQ(histogram.MaxMicros(), *std::max_element(values.begin(), values.end()));
  EXPECT_EQ(histogram.MinMicros(), *std::min_element(values.begin(), values.end()));
}

TEST(LatencyHistogramTest, MergeEqualsRecordingEverythingInOne) {
  LatencyHistogram a, b, all;
  for (int64_t v = 1; v <= 1000; ++v) {
    (v % 3 == 0 ? a : b).Record(v * 97);
    all.Record(v * 97);
  }
  a.Merge(b);
  EXPECT_EQ(a.Count(), 1000);
  for (double percent : {50.0, 95.0, 99.0}) {
    EXPECT_EQ(a.Percentile(percent), all.Percentile(percent));
  }
  EXPECT_EQ(a.MinMicros(), 97);
  EXPECT_EQ(a.MaxMicros(), 97000);
  EXPECT_DOUBLE_EQ(a.MeanMicros(), all.MeanMicros());
}

TEST(LatencyHistogramTest, HugeAndNegativeValuesAreClampedNotLost) {
  LatencyHistogram histogram;
  histogram.Record(-5);
  histogram.Record(int64_t{1} << 40);
  EXPECT_EQ(histogram.Count(), 2);
  EXPECT_EQ(histogram.MinMicros(), 0);
  EXPECT_EQ(histogram.Percentile(0), 0);
  EXPECT_GT(histogram.Percentile(100), 100'000'000);
}

}  // namespace
}  // namespace pcfdemo
