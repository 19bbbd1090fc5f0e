#include "pcfdemo/cpu_burner.h"

#include <sched.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>

namespace pcfdemo {
namespace {

class KernelThreadCpuClock : public CpuTimeSource {
 public:
  int64_t ThreadCpuMicros() override {
    timespec now{};
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now) != 0) {
      throw std::system_error(errno, std::generic_category(), "clock_gettime(thread cpu)");
    }
    return static_cast<int64_t>(now.tv_sec) * 1000000 + now.tv_nsec / 1000;
  }
};

void CheckTarget(int target_percent) {
  if (target_percent < 1 || target_percent > 100) {
    throw std::invalid_argument("CPU target must be from 1 to 100 percent, got " +
                                std::to_string(target_percent));
  }
}

// A short burst of arithmetic the compiler cannot remove; a few microseconds on any
// current CPU, so the stop flag and the CPU clock are looked at often.
void SpinBriefly() {
  static thread_local volatile uint64_t sink = 0;
  uint64_t x = sink + 0x9e3779b97f4a7c15ULL;
  for (int i = 0; i < 4096; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
  }
  sink = x;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return "";
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

}  // namespace

CpuTimeSource* ThreadCpuClock() {
  static KernelThreadCpuClock* clock = new KernelThreadCpuClock();
  return clock;
}

// --- DutyCycle ---

DutyCycle::DutyCycle(int target_percent, int64_t slice_micros, int64_t max_carry_micros)
    : target_percent_(target_percent),
      slice_micros_(slice_micros),
      max_carry_micros_(max_carry_micros) {
  CheckTarget(target_percent);
  if (slice_micros <= 0) throw std::invalid_argument("duty-cycle slice must be positive");
  if (max_carry_micros < 0) throw std::invalid_argument("duty-cycle carry must not be negative");
}

void DutyCycle::SetTarget(int target_percent) {
  CheckTarget(target_percent);
  target_percent_ = target_percent;
  carried_ = 0;
}

int64_t DutyCycle::NextBusyMicros(int64_t wall_micros, int64_t cpu_micros) {
  const int64_t share = slice_micros_ * target_percent_ / 100;
  if (!started_) {
    started_ = true;
    last_wall_ = wall_micros;
    last_cpu_ = cpu_micros;
    return share;
  }

  const int64_t wall = std::max<int64_t>(0, wall_micros - last_wall_);
  const int64_t cpu = std::max<int64_t>(0, cpu_micros - last_cpu_);
  last_wall_ = wall_micros;
  last_cpu_ = cpu_micros;
  observed_wall_ += wall;
  observed_cpu_ += cpu;

  // What the target asked for over the slice just ended, against what the thread used.
  // Carried with a gain of one this settles in one slice: the next busy time becomes
  // target × (the slice's real length) plus whatever CPU the last bursts fell short by.
  const int64_t owed = wall * target_percent_ / 100 - cpu;
  carried_ = std::clamp<int64_t>(carried_ + owed, -max_carry_micros_, max_carry_micros_);
  return std::clamp<int64_t>(share + carried_, 0, slice_micros_);
}

// --- CpuBurner ---

CpuBurner::CpuBurner(Clock* clock, CpuTimeSource* cpu_time, CpuBurnerOptions options)
    : clock_(clock != nullptr ? clock : SystemClock()),
      cpu_time_(cpu_time != nullptr ? cpu_time : ThreadCpuClock()),
      options_(options) {
  if (options_.slice < std::chrono::milliseconds(1) ||
      options_.slice > std::chrono::milliseconds(100)) {
    throw std::invalid_argument("CPU burner slice must be from 1 to 100 ms");
  }
  if (options_.achieved_window <= std::chrono::microseconds(0)) {
    throw std::invalid_argument("CPU burner achieved window must be positive");
  }
  if (options_.max_carry < std::chrono::microseconds(0)) {
    throw std::invalid_argument("CPU burner carry must not be negative");
  }
}

CpuBurner::~CpuBurner() {
  Stop();
}

void CpuBurner::Start(int threads, int target_percent) {
  CheckTarget(target_percent);
  if (threads < 1 || threads > 1024) {
    throw std::invalid_argument("CPU burner threads must be from 1 to 1024, got " +
                                std::to_string(threads));
  }

  std::lock_guard<std::mutex> lock(mu_);
  if (burning_.load() && threads_.load() == threads) {
    target_.store(target_percent);
    return;
  }

  // A different thread count: the old threads go first (each within one slice).
  JoinThreads();

  stop_.store(false);
  target_.store(target_percent);
  std::vector<std::unique_ptr<ThreadState>> started;
  try {
    for (int i = 0; i < threads; ++i) {
      auto state = std::make_unique<ThreadState>();
      ThreadState* raw = state.get();
      started.push_back(std::move(state));
      raw->thread = std::thread([this, raw] { Burn(raw); });
    }
  } catch (...) {
    stop_.store(true);
    for (auto& state : started) {
      if (state->thread.joinable()) state->thread.join();
    }
    throw;
  }

  {
    std::lock_guard<std::mutex> states_lock(states_mu_);
    states_ = std::move(started);
  }
  threads_.store(threads);
  burning_.store(true);
}

void CpuBurner::SetTarget(int target_percent) {
  CheckTarget(target_percent);
  std::lock_guard<std::mutex> lock(mu_);
  target_.store(target_percent);
}

void CpuBurner::Stop() {
  std::lock_guard<std::mutex> lock(mu_);
  JoinThreads();
}

void CpuBurner::JoinThreads() {
  std::vector<std::unique_ptr<ThreadState>> stopping;
  {
    std::lock_guard<std::mutex> states_lock(states_mu_);
    stopping.swap(states_);
  }
  stop_.store(true);
  burning_.store(false);
  threads_.store(0);
  for (auto& state : stopping) state->thread.join();
}

double CpuBurner::achieved_percent() const {
  std::lock_guard<std::mutex> states_lock(states_mu_);
  if (states_.empty()) return 0;
  double sum = 0;
  for (const auto& state : states_) sum += state->achieved.load(std::memory_order_relaxed);
  return sum / static_cast<double>(states_.size());
}

void CpuBurner::Burn(ThreadState* state) {
  const int64_t slice = options_.slice.count();
  const double window = static_cast<double>(options_.achieved_window.count());
  DutyCycle duty(target_.load(), slice, options_.max_carry.count());
  bool have_achieved = false;
  double achieved = 0;

  while (!stop_.load(std::memory_order_relaxed)) {
    const int target = target_.load(std::memory_order_relaxed);
    if (target != duty.target_percent()) duty.SetTarget(target);

    const int64_t slice_start = clock_->MonotonicMicros();
    const int64_t cpu_start = cpu_time_->ThreadCpuMicros();
    const int64_t wall_before = duty.observed_wall_micros();
    const int64_t cpu_before = duty.observed_cpu_micros();
    const int64_t busy = duty.NextBusyMicros(slice_start, cpu_start);

    // Smooth the utilisation of the slice that just ended into the published figure.
    const int64_t wall = duty.observed_wall_micros() - wall_before;
    if (wall > 0) {
      const double ratio =
          static_cast<double>(duty.observed_cpu_micros() - cpu_before) / static_cast<double>(wall);
      const double alpha = have_achieved ? static_cast<double>(wall) / (wall + window) : 1.0;
      achieved += alpha * (std::min(ratio, 1.0) * 100.0 - achieved);
      have_achieved = true;
      state->achieved.store(achieved, std::memory_order_relaxed);
    }

    while (!stop_.load(std::memory_order_relaxed) &&
           cpu_time_->ThreadCpuMicros() - cpu_start < busy) {
      SpinBriefly();
    }

    const int64_t rest = slice_start + slice - clock_->MonotonicMicros();
    if (rest > 0 && !stop_.load(std::memory_order_relaxed)) clock_->SleepForMicros(rest);
  }
}

// --- usable CPUs ---

std::optional<double> ParseCpuMaxQuota(const std::string& content) {
  std::istringstream in(content);
  std::string quota;
  int64_t period = 0;
  if (!(in >> quota >> period) || period <= 0 || quota == "max") return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const long long micros = std::strtoll(quota.c_str(), &end, 10);
  if (errno != 0 || end == quota.c_str() || *end != '\0' || micros <= 0) return std::nullopt;
  return static_cast<double>(micros) / static_cast<double>(period);
}

std::string OwnCgroupCpuMaxPath() {
  // A cgroup v2 member has the line "0::/path" in /proc/self/cgroup.
  std::istringstream lines(ReadFile("/proc/self/cgroup"));
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("0::", 0) != 0) continue;
    std::string path = line.substr(3);
    while (!path.empty() && path.back() == '/') path.pop_back();
    return "/sys/fs/cgroup" + path + "/cpu.max";
  }
  return "";
}

int UsableCpus(const std::string& cpu_max_path) {
  int cpus = 0;
  cpu_set_t mask;
  CPU_ZERO(&mask);
  if (sched_getaffinity(0, sizeof(mask), &mask) == 0) cpus = CPU_COUNT(&mask);
  if (cpus <= 0) {
    const unsigned int hardware = std::thread::hardware_concurrency();
    cpus = hardware > 0 ? static_cast<int>(hardware) : 1;
  }

  // The own cgroup's quota, and every ancestor's up to the root: the tightest one binds.
  std::vector<std::string> files;
  if (!cpu_max_path.empty()) {
    files.push_back(cpu_max_path);
  } else {
    std::string file = OwnCgroupCpuMaxPath();
    const std::string root = "/sys/fs/cgroup/cpu.max";
    while (!file.empty() && file.size() >= root.size()) {
      files.push_back(file);
      if (file == root) break;
      const size_t dir_end = file.rfind('/', file.size() - sizeof("/cpu.max"));
      file = file.substr(0, dir_end) + "/cpu.max";
    }
  }
  for (const std::string& file : files) {
    if (std::optional<double> quota = ParseCpuMaxQuota(ReadFile(file))) {
      cpus = std::min(cpus, std::max(1, static_cast<int>(std::ceil(*quota - 1e-9))));
    }
  }
  return std::max(1, cpus);
}

}  // namespace pcfdemo
