// LatencyHistogram counts latencies in microseconds in a fixed number of log-linear buckets:
// exact below 32 us, then 32 equal sub-buckets per power of two up to 2^27 us (about 134 s;
// longer latencies land in the last bucket). A percentile is reported as the middle of its
// bucket, clamped to the smallest and largest value recorded, so it is within 1/64 (about
// 1.6%) of a recorded value's true rank value. Memory is constant: recording a million
// latencies costs the same as recording one.
//
// Not thread-safe: give each thread its own histogram and Merge them at the end.
#pragma once

#include <array>
#include <cstdint>

namespace pcfdemo {

class LatencyHistogram {
 public:
  // 32 exact buckets for 0..31 us, then 22 powers of two (2^5 .. 2^26) of 32 sub-buckets.
  static constexpr int kSubBucketBits = 5;
  static constexpr int kSubBuckets = 1 << kSubBucketBits;
  static constexpr int kMaxExponent = 26;  // values >= 2^27 us share the last bucket
  static constexpr int kBucketCount =
      kSubBuckets + (kMaxExponent - kSubBucketBits + 1) * kSubBuckets;

  LatencyHistogram() = default;

  // Counts one latency. Negative values count as 0.
  void Record(int64_t micros);

  // Adds every latency `other` counted to this histogram.
  void Merge(const LatencyHistogram& other);

  // The latency below or at which `percent` percent of the recorded latencies fall, in
  // microseconds; 0 when nothing was recorded. REQUIRES: 0 <= percent <= 100.
  double Percentile(double percent) const;

  // Latencies recorded.
  int64_t Count() const { return count_; }

  // Smallest and largest latency recorded, exactly; 0 when nothing was recorded.
  int64_t MinMicros() const { return count_ > 0 ? min_ : 0; }
  int64_t MaxMicros() const { return max_; }

  // Mean of the recorded latencies, exactly; 0 when nothing was recorded.
  double MeanMicros() const { return count_ > 0 ? static_cast<double>(sum_) / count_ : 0; }

  // The bucket a latency falls in, and the bucket's bounds [lower, upper) in microseconds.
  // Exposed for tests and for exporting the distribution.
  static int BucketIndex(int64_t micros);
  static int64_t BucketLower(int index);
  static int64_t BucketUpper(int index);

  // Latencies counted in bucket `index`. REQUIRES: 0 <= index < kBucketCount.
  int64_t BucketCount(int index) const { return buckets_[index]; }

 private:
  std::array<int64_t, kBucketCount> buckets_{};
  int64_t count_ = 0;
  int64_t sum_ = 0;
  int64_t min_ = INT64_MAX;
  int64_t max_ = 0;
};

}  // namespace pcfdemo
