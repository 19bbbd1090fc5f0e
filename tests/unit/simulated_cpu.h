// Simulated time for CPU burner tests: a clock that only moves when a burner thread sleeps
// or looks at its CPU time, and a CPU-time source that charges each look. Tests built on
// them do not depend on the speed or the load of the machine that runs them.
#pragma once

#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <thread>

#include "pcfdemo/clock.h"
#include "pcfdemo/cpu_burner.h"

namespace pcfdemo {

// The burner's clock: a ManualClock whose sleeps advance it (plus `oversleep`) and yield the
// real CPU for a moment, so the simulated threads do not spin the test machine hot.
// Freeze() holds every burner thread at its next look at the clock, so a test can act at
// a known simulated time.
class SimulatedClock : public Clock {
 public:
  explicit SimulatedClock(int64_t oversleep = 0) : oversleep_(oversleep) {}
  int64_t NowMicros() override { return manual_.NowMicros(); }
  int64_t MonotonicMicros() override { return manual_.MonotonicMicros(); }
  void SleepForMicros(int64_t micros) override {
    Advance(micros + oversleep_);
    std::this_thread::sleep_for(std::chrono::microseconds(20));
  }

  void Advance(int64_t micros) {
    std::unique_lock<std::mutex> lock(mu_);
    ++waiting_;
    gate_.notify_all();
    thawed_.wait(lock, [this] { return !frozen_; });
    --waiting_;
    manual_.Advance(micros);
  }

  // Returns once `threads` threads wait at the gate (false if that takes over 10 s).
  bool Freeze(int threads) {
    std::unique_lock<std::mutex> lock(mu_);
    frozen_ = true;
    return gate_.wait_for(lock, std::chrono::seconds(10), [&] { return waiting_ >= threads; });
  }

  void Thaw() {
    std::lock_guard<std::mutex> lock(mu_);
    frozen_ = false;
    thawed_.notify_all();
  }

 private:
  ManualClock manual_;
  const int64_t oversleep_;
  std::mutex mu_;
  std::condition_variable thawed_;
  std::condition_variable gate_;
  bool frozen_ = false;
  int waiting_ = 0;
};

// Each look at the CPU clock costs the calling thread `step` of CPU time and moves the
// clock by `step * stretch` (stretch > 1: the thread is preempted part of the time).
class SimulatedCpuTime : public CpuTimeSource {
 public:
  SimulatedCpuTime(SimulatedClock* clock, int64_t step, double stretch)
      : clock_(clock), step_(step), stretch_(stretch) {}

  int64_t ThreadCpuMicros() override {
    clock_->Advance(std::llround(static_cast<double>(step_) * stretch_));
    std::lock_guard<std::mutex> lock(mu_);
    int64_t& used = used_[std::this_thread::get_id()];
    used += step_;
    return used;
  }

 private:
  SimulatedClock* clock_;
  const int64_t step_;
  const double stretch_;
  std::mutex mu_;
  std::map<std::thread::id, int64_t> used_;
};

// Waits (in real time, bounded) until the simulated clock has moved `micros` past `from`.
inline bool WaitForSimulatedTime(Clock* clock, int64_t from, int64_t micros) {
  for (int i = 0; i < 20000; ++i) {
    if (clock->MonotonicMicros() - from >= micros) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return false;
}

}  // namespace pcfdemo
