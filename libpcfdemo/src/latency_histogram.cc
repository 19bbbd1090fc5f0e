#include "pcfdemo/latency_histogram.h"

#include <algorithm>
#include <cmath>

namespace pcfdemo {

namespace {

constexpr int64_t kLargestTracked = (int64_t{1} << (LatencyHistogram::kMaxExponent + 1)) - 1;

int HighestBit(uint64_t value) {
  return 63 - __builtin_clzll(value);
}

}  // namespace

int LatencyHistogram::BucketIndex(int64_t micros) {
  if (micros < kSubBuckets) return micros < 0 ? 0 : static_cast<int>(micros);
  if (micros > kLargestTracked) micros = kLargestTracked;

  int exponent = HighestBit(static_cast<uint64_t>(micros));  // kSubBucketBits..kMaxExponent
  int shift = exponent - kSubBucketBits;
  int sub = static_cast<int>((micros >> shift) & (kSubBuckets - 1));
  return kSubBuckets + shift * kSubBuckets + sub;
}

int64_t LatencyHistogram::BucketLower(int index) {
  if (index < kSubBuckets) return index;
  int shift = (index - kSubBuckets) / kSubBuckets;
  int sub = (index - kSubBuckets) % kSubBuckets;
  return static_cast<int64_t>(kSubBuckets + sub) << shift;
}

int64_t LatencyHistogram::BucketUpper(int index) {
  if (index < kSubBuckets) return index + 1;
  int shift = (index - kSubBuckets) / kSubBuckets;
  return BucketLower(index) + (int64_t{1} << shift);
}

void LatencyHistogram::Record(int64_t micros) {
  if (micros < 0) micros = 0;
  ++buckets_[BucketIndex(micros)];
  ++count_;
  sum_ += micros;
  min_ = std::min(min_, micros);
  max_ = std::max(max_, micros);
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  for (int i = 0; i < kBucketCount; ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

double LatencyHistogram::Percentile(double percent) const {
  if (count_ == 0) return 0;
  percent = std::clamp(percent, 0.0, 100.0);

  // The rank (1-based) of the value asked for: the smallest value with at least `percent`
  // percent of all values at or below it.
  auto rank = static_cast<int64_t>(std::ceil(percent / 100.0 * static_cast<double>(count_)));
  rank = std::clamp<int64_t>(rank, 1, count_);

  int64_t seen = 0;
  for (int i = 0; i < kBucketCount; ++i) {
    seen += buckets_[i];
    if (seen < rank) continue;
    double value;
    if (i < kSubBuckets) {
      value = static_cast<double>(i);  // exact bucket
    } else {
      value = (static_cast<double>(BucketLower(i)) + static_cast<double>(BucketUpper(i))) / 2;
    }
    return std::clamp(value, static_cast<double>(min_), static_cast<double>(max_));
  }
  return static_cast<double>(max_);
}

}  // namespace pcfdemo
