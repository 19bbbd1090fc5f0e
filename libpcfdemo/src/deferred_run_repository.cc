#include "pcfdemo/deferred_run_repository.h"

#include "pcfdemo/backend_error.h"

namespace pcfdemo {

DeferredRunRepository::DeferredRunRepository(std::function<std::unique_ptr<RunRepository>()> open,
                                             std::string description, Clock* clock,
                                             std::chrono::milliseconds retry_interval)
    : open_(std::move(open)),
      description_(std::move(description)),
      clock_(clock ? clock : SystemClock()),
      retry_interval_(retry_interval) {}

bool DeferredRunRepository::TryOpen() {
  if (is_open()) return true;
  std::lock_guard<std::mutex> lock(mu_);
  if (repository_) return true;

  int64_t now = clock_->MonotonicMicros();
  if (attempted_ && now - last_attempt_micros_ < retry_interval_.count() * 1000) return false;
  attempted_ = true;
  last_attempt_micros_ = now;
  try {
    std::unique_ptr<RunRepository> repository = open_();
    if (!repository) throw BackendError("runs", "the repository could not be created");
    repository_ = std::move(repository);
    last_error_.clear();
    open_repository_.store(repository_.get());
    return true;
  } catch (const std::exception& e) {
    last_error_ = e.what();
    return false;
  }
}

std::string DeferredRunRepository::last_error() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_error_;
}

RunRepository* DeferredRunRepository::Get() {
  RunRepository* repository = open_repository_.load();
  if (repository) return repository;
  if (TryOpen()) return open_repository_.load();
  std::string why = last_error();
  throw BackendError(description_, "not connected" + (why.empty() ? "" : " (" + why + ")"));
}

void DeferredRunRepository::EnsureSchema() {
  Get()->EnsureSchema();
}

int64_t DeferredRunRepository::CreateRun(int64_t start_seconds, int64_t calls, Strategy strategy) {
  return Get()->CreateRun(start_seconds, calls, strategy);
}

bool DeferredRunRepository::CountCall(int64_t timestamp, Strategy strategy) {
  return Get()->CountCall(timestamp, strategy);
}

bool DeferredRunRepository::FinishRun(int64_t timestamp, const RunOutcome& outcome,
                                      int64_t finished_at_ms) {
  return Get()->FinishRun(timestamp, outcome, finished_at_ms);
}

std::optional<Run> DeferredRunRepository::GetRun(int64_t timestamp) {
  return Get()->GetRun(timestamp);
}

std::vector<Run> DeferredRunRepository::ListRuns(int limit, int offset) {
  return Get()->ListRuns(limit, offset);
}

int64_t DeferredRunRepository::CountRuns() {
  return Get()->CountRuns();
}

std::string DeferredRunRepository::Describe() const {
  RunRepository* repository = open_repository_.load();
  return repository ? repository->Describe() : description_;
}

}  // namespace pcfdemo
