// Tests of the duty-cycle control law, the burner's threads (on a simulated clock and CPU
// time, so nothing here depends on the speed or load of the machine running the tests),
// the count of usable CPUs and the checks of a CPU load request.
#include "pcfdemo/cpu_burner.h"

#include <gtest/gtest.h>
#include <sched.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>

#include "pcfdemo/clock.h"
#include "pcfdemo/cpu_load_request.h"
#include "pcfdemo/in_memory_key_value_store.h"
#include "pcfdemo/trigger_store.h"
#include "unit/simulated_cpu.h"

namespace pcfdemo {
namespace {

constexpr int64_t kSlice = 20000;

// --- DutyCycle ---

// A thread on an imperfect machine, one slice at a time: spinning for `busy` of CPU time
// takes `stretch` times as long in wall time (preemption), each burst overshoots its
// budget by `overshoot` (the granularity of looking at the CPU clock), and every sleep
// lasts `oversleep` longer than asked (timer slack, wake-up latency).
struct SimulatedThread {
  double stretch = 1.0;
  int64_t overshoot = 0;
  int64_t oversleep = 0;
  int64_t wall = 0;
  int64_t cpu = 0;

  void RunSlice(int64_t busy, int64_t slice) {
    const int64_t burned = busy > 0 ? busy + overshoot : 0;
    const int64_t busy_wall = std::llround(static_cast<double>(burned) * stretch);
    cpu += burned;
    wall += busy_wall;
    if (busy_wall < slice) wall += slice - busy_wall + oversleep;
  }
};

// Runs `slices` slices and returns the utilisation (percent) over the last `measured`.
double RunClosedLoop(DutyCycle* duty, SimulatedThread* thread, int slices, int measured) {
  int64_t wall_mark = 0;
  int64_t cpu_mark = 0;
  for (int i = 0; i < slices; ++i) {
    if (i == slices - measured) {
      wall_mark = thread->wall;
      cpu_mark = thread->cpu;
    }
    thread->RunSlice(duty->NextBusyMicros(thread->wall, thread->cpu), duty->slice_micros());
  }
  return 100.0 * static_cast<double>(thread->cpu - cpu_mark) /
         static_cast<double>(thread->wall - wall_mark);
}

TEST(DutyCycleTest, FirstSliceBurnsTheTargetShareOfTheSlice) {
  EXPECT_EQ(DutyCycle(50, kSlice).NextBusyMicros(0, 0), 10000);
  EXPECT_EQ(DutyCycle(25, kSlice).NextBusyMicros(123, 456), 5000);
  EXPECT_EQ(DutyCycle(75, kSlice).NextBusyMicros(0, 0), 15000);
  EXPECT_EQ(DutyCycle(100, kSlice).NextBusyMicros(0, 0), kSlice);
  EXPECT_EQ(DutyCycle(1, kSlice).NextBusyMicros(0, 0), 200);
}

TEST(DutyCycleTest, OnAPerfectMachineEverySliceIsTheOpenLoopShare) {
  DutyCycle duty(60, kSlice);
  SimulatedThread thread;
  for (int i = 0; i < 50; ++i) {
    const int64_t busy = duty.NextBusyMicros(thread.wall, thread.cpu);
    EXPECT_EQ(busy, 12000) << "slice " << i;
    thread.RunSlice(busy, kSlice);
  }
  EXPECT_EQ(duty.carried_micros(), 0);
}

TEST(DutyCycleTest, ClosedLoopConvergesOnTargetDespiteOversleepPreemptionAndOvershoot) {
  for (int target : {1, 25, 50, 75}) {
    DutyCycle duty(target, kSlice);
    SimulatedThread thread{1.1, 40, 2000};
    const double achieved = RunClosedLoop(&duty, &thread, 500, 400);
    EXPECT_NEAR(achieved, target, 0.2) << "target " << target;

    // The same machine without the correction misses by far more: the loop is what works.
    if (target >= 25) {
      SimulatedThread open{1.1, 40, 2000};
      for (int i = 0; i < 400; ++i) open.RunSlice(kSlice * target / 100, kSlice);
      const double open_loop = 100.0 * open.cpu / open.wall;
      EXPECT_GT(std::fabs(open_loop - target), 2.0) << "target " << target;
      EXPECT_LT(std::fabs(achieved - target), std::fabs(open_loop - target) / 10)
          << "target " << target;
    }
  }
}

TEST(DutyCycleTest, ConvergesWithinAFewSlices) {
  DutyCycle duty(50, kSlice);
  SimulatedThread thread{1.0, 0, 3000};
  int64_t last_busy = 0;
  for (int i = 0; i < 5; ++i) {
    last_busy = duty.NextBusyMicros(thread.wall, thread.cpu);
    thread.RunSlice(last_busy, kSlice);
  }
  // Each slice lasts 23 ms on this machine, so holding 50% means 11.5 ms of CPU per slice.
  const int64_t wall_before = thread.wall;
  const int64_t cpu_before = thread.cpu;
  for (int i = 0; i < 10; ++i) {
    thread.RunSlice(duty.NextBusyMicros(thread.wall, thread.cpu), kSlice);
  }
  EXPECT_NEAR(100.0 * (thread.cpu - cpu_before) / (thread.wall - wall_before), 50.0, 0.5);
}

TEST(DutyCycleTest, FullTargetNeverSleeps) {
  DutyCycle duty(100, kSlice);
  SimulatedThread thread{1.5, 100, 5000};
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(duty.NextBusyMicros(thread.wall, thread.cpu), kSlice);
    thread.RunSlice(kSlice, kSlice);
  }
}

TEST(DutyCycleTest, AShortStarvationIsMadeUpInFull) {
  DutyCycle duty(50, kSlice, /*max_carry_micros=*/250000);
  duty.NextBusyMicros(0, 0);
  // The thread got no CPU for 100 ms: it is 50 ms behind.
  int64_t wall = 100000;
  int64_t cpu = 0;
  EXPECT_EQ(duty.NextBusyMicros(wall, cpu), kSlice);
  EXPECT_EQ(duty.carried_micros(), 50000);
  // Each full slice makes up 10 ms: five of them (this one included), then its share.
  for (int i = 0; i < 4; ++i) {
    wall += kSlice;
    cpu += kSlice;
    EXPECT_EQ(duty.NextBusyMicros(wall, cpu), kSlice) << "slice " << i;
  }
  EXPECT_EQ(duty.carried_micros(), 10000);
  wall += kSlice;
  cpu += kSlice;
  EXPECT_EQ(duty.NextBusyMicros(wall, cpu), 10000);
  EXPECT_EQ(duty.carried_micros(), 0);
  wall += kSlice;
  cpu += 10000;
  EXPECT_EQ(duty.NextBusyMicros(wall, cpu), 10000);
  // Over the whole stretch, the thread used half of the wall time.
  EXPECT_EQ(cpu * 2, wall);
}

TEST(DutyCycleTest, ALongStarvationIsMadeUpOnlyUpToTheCarryBound) {
  DutyCycle duty(50, kSlice, /*max_carry_micros=*/100000);
  duty.NextBusyMicros(0, 0);
  // No CPU at all for ten seconds: 5 s behind, but only 100 ms are carried.
  int64_t wall = 10000000;
  int64_t cpu = 0;
  EXPECT_EQ(duty.NextBusyMicros(wall, cpu), kSlice);
  EXPECT_EQ(duty.carried_micros(), 100000);
  int full_slices = 1;
  for (int i = 0; i < 100; ++i) {
    wall += kSlice;
    cpu += kSlice;
    if (duty.NextBusyMicros(wall, cpu) < kSlice) break;
    ++full_slices;
  }
  // 100 ms made up at 10 ms per full slice, the slice that found the debt included.
  EXPECT_EQ(full_slices, 10);
}

TEST(DutyCycleTest, BurningTooMuchShortensTheNextBurst) {
  DutyCycle duty(50, kSlice);
  duty.NextBusyMicros(0, 0);
  // The slice took 20 ms and the thread used 14 ms of CPU instead of 10.
  EXPECT_EQ(duty.NextBusyMicros(kSlice, 14000), 6000);
  EXPECT_EQ(duty.carried_micros(), -4000);
}

TEST(DutyCycleTest, NewTargetDropsTheCarriedCorrection) {
  DutyCycle duty(50, kSlice);
  duty.NextBusyMicros(0, 0);
  duty.NextBusyMicros(kSlice, 4000);
  ASSERT_EQ(duty.carried_micros(), 6000);
  duty.SetTarget(25);
  EXPECT_EQ(duty.carried_micros(), 0);
  EXPECT_EQ(duty.target_percent(), 25);
  EXPECT_EQ(duty.NextBusyMicros(2 * kSlice, 4000 + 5000), 5000);
}

TEST(DutyCycleTest, RejectsTargetsOutsideOneToAHundred) {
  EXPECT_THROW(DutyCycle(0, kSlice), std::invalid_argument);
  EXPECT_THROW(DutyCycle(101, kSlice), std::invalid_argument);
  EXPECT_THROW(DutyCycle(-5, kSlice), std::invalid_argument);
  EXPECT_THROW(DutyCycle(50, 0), std::invalid_argument);
  EXPECT_THROW(DutyCycle(50, kSlice, -1), std::invalid_argument);
  DutyCycle duty(50, kSlice);
  EXPECT_THROW(duty.SetTarget(0), std::invalid_argument);
  EXPECT_EQ(duty.target_percent(), 50);
}

// --- CpuBurner on simulated time ---

TEST(CpuBurnerTest, AchievedUtilisationTracksTheTargetOnAnImperfectMachine) {
  SimulatedClock clock(/*oversleep=*/1500);
  SimulatedCpuTime cpu(&clock, /*step=*/50, /*stretch=*/1.1);
  CpuBurner burner(&clock, &cpu);
  const int64_t start = clock.MonotonicMicros();

  burner.Start(1, 50);
  ASSERT_TRUE(WaitForSimulatedTime(&clock, start, 8000000));
  EXPECT_NEAR(burner.achieved_percent(), 50.0, 1.0);

  burner.SetTarget(80);
  const int64_t retarget = clock.MonotonicMicros();
  ASSERT_TRUE(WaitForSimulatedTime(&clock, retarget, 8000000));
  EXPECT_NEAR(burner.achieved_percent(), 80.0, 1.0);
  EXPECT_EQ(burner.target_percent(), 80);

  burner.Stop();
  EXPECT_EQ(burner.achieved_percent(), 0.0);
}

TEST(CpuBurnerTest, StopsWithinOneSlice) {
  for (int target : {1, 30, 100}) {
    SimulatedClock clock(/*oversleep=*/0);
    SimulatedCpuTime cpu(&clock, 50, 1.0);
    CpuBurner burner(&clock, &cpu);
    const int64_t start = clock.MonotonicMicros();
    burner.Start(1, target);
    ASSERT_TRUE(WaitForSimulatedTime(&clock, start, 500000));

    // Hold the thread wherever it is, ask it to stop, then let it go on.
    const bool frozen = clock.Freeze(1);
    const int64_t stop_requested = clock.MonotonicMicros();
    std::thread stopper([&burner] { burner.Stop(); });
    for (int i = 0; i < 10000 && burner.burning(); ++i) {
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
    clock.Thaw();
    stopper.join();
    ASSERT_TRUE(frozen);

    // The thread may finish the sleep it is in (at most the rest of its slice) and the look
    // at its CPU clock it was held in; nothing more.
    const int64_t stopped = clock.MonotonicMicros();
    EXPECT_FALSE(burner.burning());
    EXPECT_LE(stopped - stop_requested, burner.options().slice.count() + 2 * 50)
        << "target " << target;
  }
}

TEST(CpuBurnerTest, RunsTheRequestedThreadsAndRestartsWithANewCount) {
  SimulatedClock clock;
  SimulatedCpuTime cpu(&clock, 50, 1.0);
  CpuBurner burner(&clock, &cpu);
  EXPECT_FALSE(burner.burning());
  EXPECT_EQ(burner.threads(), 0);

  burner.Start(3, 40);
  EXPECT_TRUE(burner.burning());
  EXPECT_EQ(burner.threads(), 3);
  EXPECT_EQ(burner.target_percent(), 40);

  burner.Start(2, 60);
  EXPECT_EQ(burner.threads(), 2);
  EXPECT_EQ(burner.target_percent(), 60);

  burner.Stop();
  burner.Stop();  // idempotent
  EXPECT_FALSE(burner.burning());
  EXPECT_EQ(burner.threads(), 0);
}

TEST(CpuBurnerTest, BadArgumentsLeaveTheBurnerAsItWas) {
  SimulatedClock clock;
  SimulatedCpuTime cpu(&clock, 50, 1.0);
  CpuBurner burner(&clock, &cpu);
  burner.Start(1, 40);
  EXPECT_THROW(burner.Start(1, 0), std::invalid_argument);
  EXPECT_THROW(burner.Start(1, 101), std::invalid_argument);
  EXPECT_THROW(burner.Start(0, 50), std::invalid_argument);
  EXPECT_THROW(burner.SetTarget(-5), std::invalid_argument);
  EXPECT_TRUE(burner.burning());
  EXPECT_EQ(burner.threads(), 1);
  EXPECT_EQ(burner.target_percent(), 40);

  CpuBurnerOptions too_long;
  too_long.slice = std::chrono::milliseconds(101);
  EXPECT_THROW(CpuBurner(&clock, &cpu, too_long), std::invalid_argument);
}

// --- usable CPUs ---

class CpuMaxFile {
 public:
  explicit CpuMaxFile(const std::string& content)
      : path_(::testing::TempDir() + "cpu.max." + std::to_string(getpid()) + "." +
              std::to_string(counter_++)) {
    std::ofstream(path_) << content;
  }
  ~CpuMaxFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  static inline int counter_ = 0;
  std::string path_;
};

int AffinityCpus() {
  cpu_set_t mask;
  CPU_ZERO(&mask);
  EXPECT_EQ(sched_getaffinity(0, sizeof(mask), &mask), 0);
  return CPU_COUNT(&mask);
}

TEST(UsableCpusTest, ParsesCgroupV2CpuMax) {
  EXPECT_EQ(ParseCpuMaxQuota("max 100000\n"), std::nullopt);
  EXPECT_DOUBLE_EQ(*ParseCpuMaxQuota("150000 100000\n"), 1.5);
  EXPECT_DOUBLE_EQ(*ParseCpuMaxQuota("200000 100000"), 2.0);
  EXPECT_EQ(ParseCpuMaxQuota(""), std::nullopt);
  EXPECT_EQ(ParseCpuMaxQuota("lots 100000"), std::nullopt);
  EXPECT_EQ(ParseCpuMaxQuota("100000 0"), std::nullopt);
}

TEST(UsableCpusTest, AQuotaLowersTheCountRoundingUp) {
  const int affinity = AffinityCpus();
  EXPECT_EQ(UsableCpus(CpuMaxFile("max 100000\n").path()), affinity);
  EXPECT_EQ(UsableCpus(CpuMaxFile("50000 100000\n").path()), 1);
  EXPECT_EQ(UsableCpus(CpuMaxFile("150000 100000\n").path()), std::min(affinity, 2));
  EXPECT_EQ(UsableCpus(CpuMaxFile("100000000 100000\n").path()), affinity);
  EXPECT_EQ(UsableCpus(::testing::TempDir() + "no-such-cpu.max"), affinity);
  EXPECT_EQ(UsableCpus(CpuMaxFile("garbage").path()), affinity);
}

TEST(UsableCpusTest, HonoursTheAffinityMask) {
  cpu_set_t original;
  CPU_ZERO(&original);
  ASSERT_EQ(sched_getaffinity(0, sizeof(original), &original), 0);
  int first = -1;
  for (int cpu = 0; cpu < CPU_SETSIZE && first < 0; ++cpu) {
    if (CPU_ISSET(cpu, &original)) first = cpu;
  }
  ASSERT_GE(first, 0);

  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(first, &one);
  ASSERT_EQ(sched_setaffinity(0, sizeof(one), &one), 0);
  const int usable = UsableCpus(::testing::TempDir() + "no-such-cpu.max");
  ASSERT_EQ(sched_setaffinity(0, sizeof(original), &original), 0);
  EXPECT_EQ(usable, 1);
}

// --- CPU load requests ---

TEST(CpuLoadRequestTest, AcceptsWholeTargetsAndDurationsInRange) {
  EXPECT_EQ(ParseCpuTargetPercent("1"), 1);
  EXPECT_EQ(ParseCpuTargetPercent("60"), 60);
  EXPECT_EQ(ParseCpuTargetPercent("100"), 100);
  EXPECT_EQ(ParseCpuLoadDuration("1"), std::chrono::seconds(1));
  EXPECT_EQ(ParseCpuLoadDuration("86400"), std::chrono::seconds(86400));
  const CpuLoadRequest request = ValidateCpuLoadRequest(75, 300);
  EXPECT_EQ(request.target_percent, 75);
  EXPECT_EQ(request.duration, std::chrono::seconds(300));
}

TEST(CpuLoadRequestTest, RejectsBadTargetsWithAClearMessage) {
  for (const char* bad :
       {"0", "101", "-5", "abc", "", "50%", " 50", "50.5", "1e2", "99999999999999999999999"}) {
    try {
      ParseCpuTargetPercent(bad);
      ADD_FAILURE() << "accepted \"" << bad << "\"";
    } catch (const InvalidCpuLoadRequest& e) {
      const std::string message = e.what();
      EXPECT_NE(message.find("from 1 to 100"), std::string::npos) << message;
      EXPECT_NE(message.find("got"), std::string::npos) << message;
    }
  }
  for (double bad :
       {0.0, 101.0, -5.0, 50.5, static_cast<double>(NAN), static_cast<double>(INFINITY)}) {
    EXPECT_THROW(ValidateCpuLoadRequest(bad, 60), InvalidCpuLoadRequest) << bad;
  }
  try {
    ValidateCpuLoadRequest(101, 60);
    ADD_FAILURE();
  } catch (const InvalidCpuLoadRequest& e) {
    EXPECT_NE(std::string(e.what()).find("got 101"), std::string::npos) << e.what();
  }
}

TEST(CpuLoadRequestTest, RejectsZeroAndAbsurdDurations) {
  for (const char* bad : {"0", "-1", "86401", "31536000", "999999999999", "abc", "5m"}) {
    try {
      ParseCpuLoadDuration(bad);
      ADD_FAILURE() << "accepted \"" << bad << "\"";
    } catch (const InvalidCpuLoadRequest& e) {
      EXPECT_NE(std::string(e.what()).find("seconds from 1 to 86400"), std::string::npos)
          << e.what();
    }
  }
  EXPECT_THROW(ValidateCpuLoadRequest(50, 0), InvalidCpuLoadRequest);
  EXPECT_THROW(ValidateCpuLoadRequest(50, 1e12), InvalidCpuLoadRequest);
  EXPECT_THROW(ValidateCpuLoadRequest(50, 2.5), InvalidCpuLoadRequest);
}

TEST(CpuLoadRequestTest, InvalidRequestLeavesTheSwitchUnchanged) {
  ManualClock clock;
  InMemoryKeyValueStore store(&clock);
  TriggerStore triggers(&store, &clock);

  // From OFF.
  EXPECT_THROW(SwitchCpuLoadOn(&triggers, CpuLoadRequest{101, std::chrono::seconds(60)}),
               InvalidCpuLoadRequest);
  EXPECT_FALSE(triggers.GetCpuLoad().on);

  // From ON at 60% for 300 s.
  SwitchCpuLoadOn(&triggers, CpuLoadRequest{60, std::chrono::seconds(300)});
  const CpuLoadState before = triggers.GetCpuLoad();
  ASSERT_TRUE(before.on);
  ASSERT_EQ(before.target_percent, 60);
  for (const CpuLoadRequest& bad :
       {CpuLoadRequest{0, std::chrono::seconds(60)}, CpuLoadRequest{-5, std::chrono::seconds(60)},
        CpuLoadRequest{50, std::chrono::seconds(0)},
        CpuLoadRequest{50, std::chrono::seconds(100000000)}}) {
    EXPECT_THROW(SwitchCpuLoadOn(&triggers, bad), InvalidCpuLoadRequest);
    const CpuLoadState after = triggers.GetCpuLoad();
    EXPECT_TRUE(after.on);
    EXPECT_EQ(after.target_percent, 60);
    EXPECT_EQ(after.expires_at_s, before.expires_at_s);
  }

  SwitchCpuLoadOff(&triggers);
  EXPECT_FALSE(triggers.GetCpuLoad().on);
}

}  // namespace
}  // namespace pcfdemo
