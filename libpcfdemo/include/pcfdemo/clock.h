// Clock is the only source of time for the core, so tests can control time and never
// sleep for real. Implementations are safe for concurrent use from multiple threads.
#pragma once

#include <cstdint>
#include <memory>

namespace pcfdemo {

class Clock {
 public:
  Clock() = default;
  Clock(const Clock&) = delete;
  Clock& operator=(const Clock&) = delete;
  virtual ~Clock() = default;

  // Wall-clock time in microseconds since the Unix epoch.
  virtual int64_t NowMicros() = 0;

  // Monotonic time in microseconds from an arbitrary origin; never goes backwards.
  virtual int64_t MonotonicMicros() = 0;

  // Blocks the calling thread for about `micros` microseconds. REQUIRES: micros >= 0.
  virtual void SleepForMicros(int64_t micros) = 0;

  int64_t NowSeconds() { return NowMicros() / 1000000; }
};

// The process's real clock. The returned object lives for the whole process.
Clock* SystemClock();

// A clock that only moves when told to. SleepForMicros advances it instead of sleeping.
class ManualClock : public Clock {
 public:
  explicit ManualClock(int64_t start_micros = 1700000000LL * 1000000);

  int64_t NowMicros() override;
  int64_t MonotonicMicros() override;
  void SleepForMicros(int64_t micros) override;

  void Advance(int64_t micros);

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace pcfdemo
