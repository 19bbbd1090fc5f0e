#include "pcfdemo/cpu_load_worker.h"

#include <time.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <utility>

#include "pcfdemo/backend_error.h"
#include "pcfdemo/cpu_burner.h"

namespace pcfdemo {
namespace {

std::string UtcTime(int64_t epoch_seconds) {
  const time_t t = static_cast<time_t>(epoch_seconds);
  tm parts{};
  gmtime_r(&t, &parts);
  char text[32];
  strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &parts);
  return text;
}

std::string Percent(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f%%", value);
  return text;
}

}  // namespace

CpuLoadWorker::CpuLoadWorker(TriggerStore* triggers, Clock* clock, CpuLoadWorkerOptions options,
                             std::function<void(const std::string&)> log)
    : CpuLoadWorker(triggers, clock, std::move(options), std::make_unique<CpuBurner>(),
                    std::move(log)) {}

CpuLoadWorker::CpuLoadWorker(TriggerStore* triggers, Clock* clock, CpuLoadWorkerOptions options,
                             std::unique_ptr<CpuBurner> burner,
                             std::function<void(const std::string&)> log)
    : triggers_(triggers),
      clock_(clock),
      options_(std::move(options)),
      log_(std::move(log)),
      burner_(std::move(burner)) {}

CpuLoadWorker::~CpuLoadWorker() {
  burner_->Stop();
}

KeyValueStore::Ttl CpuLoadWorker::heartbeat_ttl() const {
  const auto three_polls = std::chrono::ceil<std::chrono::seconds>(3 * options_.poll_interval);
  return std::max(KeyValueStore::Ttl(3), three_polls);
}

void CpuLoadWorker::Step() {
  CpuLoadState state;
  try {
    state = triggers_->GetCpuLoad();
  } catch (const std::exception& e) {
    // The switch cannot be seen, so it may have been turned OFF: burning on would be a
    // guess. The loop starts again once the store answers.
    if (burner_->burning()) {
      burner_->Stop();
      if (log_)
        log_("CPU load burner stopped: cannot read the switch (" + std::string(e.what()) + ")");
    }
    throw;
  }

  const int64_t now = clock_->NowSeconds();
  const bool expired = state.on ? state.expires_at_s > 0 && now >= state.expires_at_s
                                : burning_until_s_ > 0 && now >= burning_until_s_;
  if (state.on && !expired) {
    burning_until_s_ = state.expires_at_s;
    const int target = std::clamp(state.target_percent, 1, 100);
    if (!burner_->burning()) {
      const int threads = options_.threads > 0 ? options_.threads : UsableCpus();
      burner_->Start(threads, target);
      burning_since_s_ = now;
      if (log_) {
        std::string until = state.expires_at_s > 0
                                ? " until " + UtcTime(state.expires_at_s) + " (" +
                                      std::to_string(state.expires_at_s - now) + " s)"
                                : "";
        log_("CPU load ON: burning " + std::to_string(threads) + " thread(s) at " +
             std::to_string(target) + "%" + until);
      }
    } else if (burner_->target_percent() != target) {
      const int old_target = burner_->target_percent();
      burner_->SetTarget(target);
      if (log_) {
        log_("CPU load target changed from " + std::to_string(old_target) + "% to " +
             std::to_string(target) + "%");
      }
    }

    BurnerReport report;
    report.worker = options_.worker_id;
    report.achieved_percent = burner_->achieved_percent();
    report.threads = burner_->threads();
    try {
      triggers_->ReportBurner(report, heartbeat_ttl());
    } catch (const std::exception& e) {
      burner_->Stop();
      if (log_)
        log_("CPU load burner stopped: cannot write its heartbeat (" + std::string(e.what()) + ")");
      throw;
    }
    return;
  }

  if (burner_->burning()) {
    const double achieved = burner_->achieved_percent();
    burner_->Stop();
    if (log_) {
      log_(std::string(expired ? "CPU load ON expired" : "CPU load OFF") +
           ": burner stopped after " + std::to_string(now - burning_since_s_) +
           " s, last achieved " + Percent(achieved) + " per thread");
    }
    burning_until_s_ = 0;
    triggers_->RemoveBurner(options_.worker_id);
  }
}

void CpuLoadWorker::Loop() {
  // Sleep in pieces so Stop() is noticed quickly; a poll is at most this far off its beat.
  constexpr int64_t kMaxNap = 100000;
  bool store_down = false;
  std::string last_error;

  while (!stop_.load()) {
    const int64_t poll_start = clock_->MonotonicMicros();
    try {
      Step();
      if (store_down) {
        store_down = false;
        last_error.clear();
        if (log_) log_("CPU load switch readable again");
      }
    } catch (const std::exception& e) {
      // One line per change of trouble, not one per poll.
      if (!store_down || last_error != e.what()) {
        if (log_) log_("CPU load switch unreadable, retrying every poll: " + std::string(e.what()));
      }
      store_down = true;
      last_error = e.what();
    }

    const int64_t poll_end = poll_start + options_.poll_interval.count() * 1000;
    for (int64_t left = poll_end - clock_->MonotonicMicros(); left > 0 && !stop_.load();
         left = poll_end - clock_->MonotonicMicros()) {
      clock_->SleepForMicros(std::min(left, kMaxNap));
    }
  }

  if (burner_->burning()) {
    const double achieved = burner_->achieved_percent();
    burner_->Stop();
    if (log_) log_("CPU load worker stopping: burner stopped, last achieved " + Percent(achieved));
    try {
      triggers_->RemoveBurner(options_.worker_id);
    } catch (const std::exception& e) {
      if (log_) log_("CPU load heartbeat left to expire: " + std::string(e.what()));
    }
  }
}

void CpuLoadWorker::Stop() {
  stop_.store(true);
}

double CpuLoadWorker::achieved_percent() const {
  return burner_->achieved_percent();
}

bool CpuLoadWorker::burning() const {
  return burner_->burning();
}

int CpuLoadWorker::threads() const {
  return burner_->threads();
}

int CpuLoadWorker::target_percent() const {
  return burner_->burning() ? burner_->target_percent() : 0;
}

}  // namespace pcfdemo
