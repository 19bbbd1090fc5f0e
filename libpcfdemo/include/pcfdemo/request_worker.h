// RequestWorker turns a pending trigger into a run: claim it, create the run row, fan out
// to the destination, record the outcome, clear the trigger. Several workers may share one
// TriggerStore; the claim makes sure only one of them runs a given trigger.
//
// Step() and Loop() are called from one thread; Stop() from any.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "pcfdemo/clock.h"
#include "pcfdemo/request_fanout.h"
#include "pcfdemo/run_repository.h"
#include "pcfdemo/trigger_store.h"

namespace pcfdemo {

struct RequestWorkerOptions {
  std::string worker_id;  // unique among the workers sharing the store
  std::chrono::milliseconds poll_interval{1000};
  std::chrono::seconds lease{15};  // claim lease; renewed every lease/3 while running
  std::chrono::milliseconds call_timeout{10000};
  // True when no other worker shares the store (standalone): a run found "running" when the
  // loop starts was left by an earlier process and is marked abandoned.
  bool sole_worker = false;
};

class RequestWorker {
 public:
  // Logs one line per state change through `log` (may be empty). All pointers must outlive
  // the worker.
  RequestWorker(TriggerStore* triggers, RunRepository* runs, HttpClient* client, Clock* clock,
                RequestWorkerOptions options, std::function<void(const std::string&)> log = {});

  // One attempt: if a trigger is pending and the claim is won, runs it to the end and
  // returns its timestamp. A trigger whose worker died mid-run (its claim expired with a
  // run recorded) is marked abandoned and cleared. Returns nullopt when there was nothing
  // to do. Throws BackendError when the store or repository cannot answer.
  std::optional<int64_t> Step();

  // Calls Step every poll interval until Stop(). Backend errors are logged and retried.
  void Loop();

  // Asks Loop to return and the run in progress to stop starting calls; the run is then
  // finished with what it made, and the claim released.
  void Stop();

  // Progress of the run in progress, for pages; zeros when idle.
  FanoutProgress progress() const;

  // Latencies of every answered call of the runs this worker finished, for /metrics.
  LatencyHistogram call_latency() const;

 private:
  FanoutReport Fanout(int64_t timestamp, const RunRequest& request);
  // Records the outcome; returns false if the database never took it.
  bool Finish(int64_t timestamp, const FanoutReport& report);
  // Clears the trigger if this worker still holds its claim and the outcome is recorded.
  void EndTrigger(int64_t timestamp, bool recorded);
  void AbandonOrphan(int64_t timestamp);
  void AbandonRunsLeftRunning();
  void Log(const std::string& line);

  TriggerStore* triggers_;
  RunRepository* runs_;
  RequestFanout fanout_;
  Clock* clock_;
  const RequestWorkerOptions options_;
  std::function<void(const std::string&)> log_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> claim_lost_{false};
  std::atomic<bool> cancel_run_{false};
  std::atomic<int64_t> progress_done_{0};
  std::atomic<int64_t> progress_total_{0};
  std::atomic<int64_t> progress_succeeded_{0};
  std::atomic<int64_t> progress_failed_{0};
  mutable std::mutex call_latency_mu_;
  LatencyHistogram call_latency_;  // guarded by call_latency_mu_
};

}  // namespace pcfdemo
