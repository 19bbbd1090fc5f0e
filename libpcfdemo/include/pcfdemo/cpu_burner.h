// CpuBurner holds a target CPU utilisation on K threads, so that a platform's autoscaler
// sees a load it can react to. Each thread works in short slices: it spins until it has
// used its share of the slice in CPU time, then sleeps out the rest. The share is set by a
// closed loop on the thread's own measured CPU time (DutyCycle), so sleep overshoot,
// preemption and the cost of the loop itself do not pull the achieved load off the target.
//
// The clock and the CPU-time source are injected, so the control law and the thread
// handling can be tested without real time passing.
//
// CpuBurner's methods are safe to call from any thread. Start/Stop/SetTarget serialise on
// an internal mutex; achieved_percent(), burning() and threads() never wait for a thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "pcfdemo/clock.h"

namespace pcfdemo {

// CPU time used by the calling thread. Implementations are safe to call from any thread;
// each caller sees its own thread's time.
class CpuTimeSource {
 public:
  CpuTimeSource() = default;
  CpuTimeSource(const CpuTimeSource&) = delete;
  CpuTimeSource& operator=(const CpuTimeSource&) = delete;
  virtual ~CpuTimeSource() = default;

  // CPU time (user + system) the calling thread has used, in microseconds from an
  // arbitrary origin fixed for the thread's life; never goes backwards within a thread.
  virtual int64_t ThreadCpuMicros() = 0;
};

// The kernel's per-thread CPU clock (CLOCK_THREAD_CPUTIME_ID). Lives for the whole process.
CpuTimeSource* ThreadCpuClock();

// The control law of one burning thread, without threads or clocks: given where the
// thread stands at the start of each slice, it says how much CPU time to burn in that
// slice. It is an integral controller with a gain of one: the shortfall (or excess) of
// CPU time against target × elapsed wall time is carried into the next slices. The carry
// is bounded (max_carry_micros either way), so a thread that was starved for long makes up
// only the recent part of its shortfall and does not burn flat out for long once it gets
// the CPU back; a short burst of contention, though, leaves the average on target.
//
// Not thread-safe: one DutyCycle belongs to one thread.
class DutyCycle {
 public:
  // REQUIRES: 1 <= target_percent <= 100, slice_micros > 0, max_carry_micros >= 0.
  DutyCycle(int target_percent, int64_t slice_micros, int64_t max_carry_micros = 250000);

  // Called at the start of every slice with the thread's wall and CPU clocks. Returns the
  // CPU time to burn before sleeping, 0..slice_micros. The first call only takes its
  // bearings and returns the open-loop share target × slice.
  int64_t NextBusyMicros(int64_t wall_micros, int64_t cpu_micros);

  // Changes the target; the correction carried so far is dropped.
  // REQUIRES: 1 <= target_percent <= 100.
  void SetTarget(int target_percent);

  int target_percent() const { return target_percent_; }
  int64_t slice_micros() const { return slice_micros_; }

  // Wall and CPU time seen between the first and the latest call to NextBusyMicros.
  int64_t observed_wall_micros() const { return observed_wall_; }
  int64_t observed_cpu_micros() const { return observed_cpu_; }

  // Correction carried into the next slice, in CPU microseconds (positive: behind target).
  int64_t carried_micros() const { return carried_; }

 private:
  int target_percent_;
  int64_t slice_micros_;
  int64_t max_carry_micros_;
  bool started_ = false;
  int64_t last_wall_ = 0;
  int64_t last_cpu_ = 0;
  int64_t carried_ = 0;
  int64_t observed_wall_ = 0;
  int64_t observed_cpu_ = 0;
};

struct CpuBurnerOptions {
  // Length of one duty-cycle slice; also the longest Stop() waits for a thread.
  // REQUIRES: 1 ms <= slice <= 100 ms.
  std::chrono::microseconds slice{20000};
  // Time constant of the smoothing behind achieved_percent().
  std::chrono::microseconds achieved_window{1000000};
  // Most CPU time a thread makes up (or holds back) after it got less (or more) than its
  // target; see DutyCycle.
  std::chrono::microseconds max_carry{250000};
};

class CpuBurner {
 public:
  // `clock` and `cpu_time` must outlive the burner; nullptr means the system clock and
  // ThreadCpuClock(). Throws std::invalid_argument for a slice outside 1..100 ms.
  explicit CpuBurner(Clock* clock = nullptr, CpuTimeSource* cpu_time = nullptr,
                     CpuBurnerOptions options = {});
  CpuBurner(const CpuBurner&) = delete;
  CpuBurner& operator=(const CpuBurner&) = delete;

  // Stops the threads.
  ~CpuBurner();

  // Starts `threads` threads each holding `target_percent`. If already burning, changes
  // the target (and restarts with the new thread count if it differs).
  // Throws std::invalid_argument unless 1 <= target_percent <= 100 and 1 <= threads <= 1024;
  // the burner is then left as it was.
  void Start(int threads, int target_percent);

  // Changes the target of the running threads; they take it up at their next slice.
  // Throws std::invalid_argument unless 1 <= target_percent <= 100.
  void SetTarget(int target_percent);

  // Stops and joins every thread. Each thread notices within one slice: it checks between
  // short bursts of work and never sleeps longer than the rest of its slice. Idempotent.
  void Stop();

  bool burning() const { return burning_.load(); }
  int threads() const { return threads_.load(); }
  int target_percent() const { return target_.load(); }

  // Utilisation achieved recently, averaged over the threads, in percent of one thread,
  // smoothed over about options.achieved_window. 0 when not burning.
  double achieved_percent() const;

  const CpuBurnerOptions& options() const { return options_; }

 private:
  struct ThreadState {
    std::thread thread;
    std::atomic<double> achieved{0};
  };

  void Burn(ThreadState* state);
  // REQUIRES: mu_ held. Signals every thread to stop and joins it.
  void JoinThreads();

  Clock* clock_;
  CpuTimeSource* cpu_time_;
  const CpuBurnerOptions options_;

  std::mutex mu_;                 // serialises Start/Stop/SetTarget
  mutable std::mutex states_mu_;  // guards states_ (held briefly, never across a join)
  std::vector<std::unique_ptr<ThreadState>> states_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> burning_{false};
  std::atomic<int> threads_{0};
  std::atomic<int> target_{0};
};

// How many CPUs this process may use: the CPUs in its affinity mask, lowered to a cgroup
// v2 quota when one is set (a quota of 1.5 CPUs counts as 2). At least 1.
// `cpu_max_path` is the cgroup's cpu.max file; empty means this process's own cgroup
// (found through /proc/self/cgroup) and its ancestors, the tightest quota binding.
// A missing or unreadable file means no quota.
// Limitation: cgroup v1 (cpu.cfs_quota_us) is not read; such hosts count the mask only.
int UsableCpus(const std::string& cpu_max_path = "");

// The quota in a cgroup v2 cpu.max file's content ("max 100000" or "150000 100000"), in
// CPUs; nullopt when unlimited or not understood.
std::optional<double> ParseCpuMaxQuota(const std::string& content);

// The cpu.max file of this process's cgroup v2, e.g. "/sys/fs/cgroup/app.slice/cpu.max";
// empty when the process is not in a cgroup v2 hierarchy.
std::string OwnCgroupCpuMaxPath();

}  // namespace pcfdemo
