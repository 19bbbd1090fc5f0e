#include "pcfdemo/request_worker.h"

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <mutex>
#include <sstream>
#include <thread>

#include "pcfdemo/backend_error.h"

namespace pcfdemo {
namespace {

// Attempts, one a second, to record a run's outcome while the database is away.
constexpr int kFinishAttempts = 300;

std::string CallUrl(const std::string& destination, int64_t timestamp, Strategy strategy) {
  std::string url = destination;
  url += destination.find('?') == std::string::npos ? '?' : '&';
  url += "timestamp=" + std::to_string(timestamp) + "&strategy=";
  url += StrategyName(strategy);
  return url;
}

bool IsHttpUrl(const std::string& url) {
  std::string scheme = url.substr(0, url.find(':'));
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return (scheme == "http" || scheme == "https") && url.compare(scheme.size(), 3, "://") == 0;
}

// Renews a claim every lease/3 on a thread of its own, so a fan-out whose calls stall still
// keeps its claim; reports a lost claim by setting both flags.
class ClaimKeeper {
 public:
  ClaimKeeper(TriggerStore* triggers, const std::string& worker_id, std::chrono::seconds lease,
              std::atomic<bool>* lost, std::atomic<bool>* cancel)
      : thread_([=] {
          auto period = std::chrono::milliseconds(lease.count() * 1000 / 3);
          std::unique_lock<std::mutex> lock(mu_);
          while (!done_cv_.wait_for(lock, period, [this] { return done_; })) {
            lock.unlock();
            try {
              if (!triggers->RenewClaim(worker_id, lease)) {
                lost->store(true);
                cancel->store(true);
              }
            } catch (const BackendError&) {
              // The store is away; the next renewal tries again within the lease.
            }
            lock.lock();
          }
        }) {}

  ~ClaimKeeper() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    done_cv_.notify_all();
    thread_.join();
  }

 private:
  std::mutex mu_;
  std::condition_variable done_cv_;
  bool done_ = false;
  std::thread thread_;
};

}  // namespace

RequestWorker::RequestWorker(TriggerStore* triggers, RunRepository* runs, HttpClient* client,
                             Clock* clock, RequestWorkerOptions options,
                             std::function<void(const std::string&)> log)
    : triggers_(triggers),
      runs_(runs),
      fanout_(client, clock),
      clock_(clock),
      options_(std::move(options)),
      log_(std::move(log)) {}

void RequestWorker::Log(const std::string& line) {
  if (log_) log_(line);
}

std::optional<int64_t> RequestWorker::Step() {
  std::optional<Trigger> trigger = triggers_->Current();
  if (!trigger || !TriggerStore::IsComplete(*trigger)) return std::nullopt;
  if (!triggers_->Claim(options_.worker_id, options_.lease)) return std::nullopt;

  // Re-read under the claim: the trigger may have been cleared in between.
  trigger = triggers_->Current();
  if (!trigger || !TriggerStore::IsComplete(*trigger)) {
    triggers_->ReleaseClaim(options_.worker_id);
    return std::nullopt;
  }
  if (trigger->run_timestamp) {
    AbandonOrphan(*trigger->run_timestamp);
    return std::nullopt;
  }

  const RunRequest& request = trigger->request;
  if (!IsHttpUrl(request.destination)) {
    Log("trigger dropped: destination is not an http(s) URL");
    triggers_->Clear();
    return std::nullopt;
  }

  int64_t timestamp = 0;
  try {
    timestamp = runs_->CreateRun(clock_->NowSeconds(), request.calls, request.strategy);
  } catch (const BackendError&) {
    // No run recorded, so the trigger is still pending: free it for the next poll of any
    // worker instead of holding it for the whole lease.
    try {
      triggers_->ReleaseClaim(options_.worker_id);
    } catch (const BackendError&) {
      // The store is away too; the claim then frees itself when the lease ends.
    }
    throw;
  }
  try {
    triggers_->RecordRun(timestamp);
  } catch (const BackendError&) {
    // The row exists but the store cannot say so, and no other worker could ever find it:
    // mark it now so it does not stay "running".
    RunOutcome abandoned;
    abandoned.status = RunStatus::kAbandoned;
    runs_->FinishRun(timestamp, abandoned, clock_->NowMicros() / 1000);
    throw;
  }
  std::ostringstream started;
  started << "run " << timestamp << " started: " << request.calls << " calls, strategy "
          << StrategyName(request.strategy) << ", concurrency " << request.concurrency
          << ", worker " << options_.worker_id;
  Log(started.str());

  claim_lost_ = false;
  cancel_run_ = stop_.load();  // Stop() or a lost claim cancels the run
  bool recorded = false;
  {
    // The claim is renewed until the outcome is recorded, however long the database is away.
    ClaimKeeper keeper(triggers_, options_.worker_id, options_.lease, &claim_lost_, &cancel_run_);
    FanoutReport report = Fanout(timestamp, request);
    {
      std::lock_guard<std::mutex> lock(call_latency_mu_);
      call_latency_.Merge(report.latency_histogram);
    }
    recorded = Finish(timestamp, report);
  }
  EndTrigger(timestamp, recorded);
  return timestamp;
}

FanoutReport RequestWorker::Fanout(int64_t timestamp, const RunRequest& request) {
  FanoutPlan plan;
  plan.url = CallUrl(request.destination, timestamp, request.strategy);
  plan.calls = request.calls;
  plan.concurrency = request.concurrency > 0 ? request.concurrency : 1;
  plan.timeout = options_.call_timeout;

  progress_total_ = request.calls;
  progress_done_ = progress_succeeded_ = progress_failed_ = 0;
  auto on_progress = [&](const FanoutProgress& progress) {
    progress_done_ = progress.done;
    progress_succeeded_ = progress.succeeded;
    progress_failed_ = progress.failed;
  };
  return fanout_.Run(plan, on_progress, &cancel_run_);
}

bool RequestWorker::Finish(int64_t timestamp, const FanoutReport& report) {
  RunOutcome outcome;
  outcome.status = report.cancelled ? RunStatus::kAbandoned : RunStatus::kFinished;
  outcome.succeeded_calls = report.succeeded;
  outcome.failed_calls = report.failed;
  outcome.instances = report.by_instance;
  outcome.latency = report.latency;

  // The outcome exists only in this process: keep trying while the database is away (the
  // claim stays renewed meanwhile), a few more times once asked to stop.
  bool recorded = false;
  int attempts_after_stop = 0;
  for (int attempt = 1; attempt <= kFinishAttempts && attempts_after_stop < 5; ++attempt) {
    try {
      runs_->FinishRun(timestamp, outcome, clock_->NowMicros() / 1000);
      recorded = true;
      break;
    } catch (const BackendError& error) {
      if (attempt == 1) Log(std::string("recording the outcome is retried: ") + error.what());
      if (stop_) ++attempts_after_stop;
      clock_->SleepForMicros(1000000);
    }
  }
  if (!recorded) {
    Log("run " + std::to_string(timestamp) +
        " outcome not recorded: the database did not answer; the run will be marked abandoned");
    return false;
  }

  std::ostringstream finished;
  finished << "run " << timestamp << ' ' << RunStatusName(outcome.status) << ": "
           << report.succeeded << " succeeded, " << report.failed << " failed, "
           << report.by_instance.size() << " instances, p50 " << report.latency.p50_ms
           << " ms, p99 " << report.latency.p99_ms << " ms, " << report.calls_per_second()
           << " calls/s";
  Log(finished.str());
  return true;
}

void RequestWorker::EndTrigger(int64_t timestamp, bool recorded) {
  progress_total_ = progress_done_ = progress_succeeded_ = progress_failed_ = 0;

  // Only the holder of the claim may end the trigger: after a lost claim another worker
  // may already be running the next one.
  bool holds_claim = !claim_lost_ && triggers_->RenewClaim(options_.worker_id, options_.lease);
  if (!holds_claim) {
    Log("run " + std::to_string(timestamp) +
        ": claim lost (its lease ended or the store was emptied), trigger left");
    return;
  }
  if (recorded) {
    triggers_->Clear();
  } else {
    // The run stays recorded in the trigger: the next worker to claim it marks it abandoned
    // once the database answers again.
    triggers_->ReleaseClaim(options_.worker_id);
  }
}

void RequestWorker::AbandonOrphan(int64_t timestamp) {
  // The claim expired with a run recorded: the worker that ran it is gone.
  std::optional<Run> run = runs_->GetRun(timestamp);
  if (run && run->status == RunStatus::kRunning) {
    RunOutcome outcome;
    outcome.status = RunStatus::kAbandoned;
    runs_->FinishRun(timestamp, outcome, clock_->NowMicros() / 1000);
    Log("run " + std::to_string(timestamp) + " abandoned: its worker stopped renewing its claim");
  }
  triggers_->Clear();
}

void RequestWorker::AbandonRunsLeftRunning() {
  constexpr int kPage = 200;
  constexpr int kMaxRunsSwept = 5000;
  for (int offset = 0; offset < kMaxRunsSwept; offset += kPage) {
    std::vector<Run> runs = runs_->ListRuns(kPage, offset);
    for (const Run& run : runs) {
      if (run.status != RunStatus::kRunning) continue;
      RunOutcome outcome;
      outcome.status = RunStatus::kAbandoned;
      runs_->FinishRun(run.timestamp, outcome, clock_->NowMicros() / 1000);
      Log("run " + std::to_string(run.timestamp) +
          " abandoned: it was left running by an earlier process");
    }
    if (static_cast<int>(runs.size()) < kPage) return;
  }
}

void RequestWorker::Loop() {
  bool store_down = false;
  bool swept = !options_.sole_worker;
  while (!stop_) {
    try {
      if (!swept) {
        AbandonRunsLeftRunning();
        swept = true;
      }
      Step();
      if (store_down) Log("request worker: backends answer again");
      store_down = false;
    } catch (const BackendError& error) {
      if (!store_down) Log(std::string("request worker: backend unavailable: ") + error.what());
      store_down = true;
    }
    // Sleep in short pieces so Stop() is honoured quickly.
    int64_t slept = 0;
    const int64_t interval = options_.poll_interval.count() * 1000;
    while (!stop_ && slept < interval) {
      int64_t piece = std::min<int64_t>(50000, interval - slept);
      clock_->SleepForMicros(piece);
      slept += piece;
    }
  }
}

void RequestWorker::Stop() {
  stop_ = true;
  cancel_run_ = true;
}

LatencyHistogram RequestWorker::call_latency() const {
  std::lock_guard<std::mutex> lock(call_latency_mu_);
  return call_latency_;
}

FanoutProgress RequestWorker::progress() const {
  FanoutProgress progress;
  progress.total = progress_total_;
  progress.done = progress_done_;
  progress.succeeded = progress_succeeded_;
  progress.failed = progress_failed_;
  return progress;
}

}  // namespace pcfdemo
