#include "pcfdemo/clock.h"

#include <chrono>
#include <mutex>
#include <thread>

namespace pcfdemo {
namespace {

class RealClock : public Clock {
 public:
  int64_t NowMicros() override {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  int64_t MonotonicMicros() override {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }

  void SleepForMicros(int64_t micros) override {
    std::this_thread::sleep_for(std::chrono::microseconds(micros));
  }
};

}  // namespace

Clock* SystemClock() {
  static RealClock* clock = new RealClock();  // never destroyed: used until exit
  return clock;
}

struct ManualClock::State {
  std::mutex mu;
  int64_t now_micros;
  int64_t monotonic_micros = 0;
};

ManualClock::ManualClock(int64_t start_micros) : state_(std::make_shared<State>()) {
  state_->now_micros = start_micros;
}

int64_t ManualClock::NowMicros() {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->now_micros;
}

int64_t ManualClock::MonotonicMicros() {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->monotonic_micros;
}

void ManualClock::SleepForMicros(int64_t micros) {
  Advance(micros);
}

void ManualClock::Advance(int64_t micros) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->now_micros += micros;
  state_->monotonic_micros += micros;
}

}  // namespace pcfdemo
