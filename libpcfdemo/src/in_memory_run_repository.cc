#include "pcfdemo/in_memory_run_repository.h"

#include <algorithm>

namespace pcfdemo {

InMemoryRunRepository::InMemoryRunRepository(CountInterleaving interleaving)
    : interleaving_(std::move(interleaving)) {}

int64_t InMemoryRunRepository::CreateRun(int64_t start_seconds, int64_t calls, Strategy strategy) {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t timestamp = start_seconds;
  while (runs_.count(timestamp) != 0) ++timestamp;

  Run run;
  run.timestamp = timestamp;
  run.max_possible_count = calls;
  run.strategy = strategy;
  run.status = RunStatus::kRunning;
  run.started_at_ms = start_seconds * 1000;
  runs_.emplace(timestamp, std::move(run));
  return timestamp;
}

std::optional<int64_t> InMemoryRunRepository::ReadCount(int64_t timestamp) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = runs_.find(timestamp);
  if (it == runs_.end()) return std::nullopt;
  return it->second.current_request_count;
}

bool InMemoryRunRepository::WriteCount(int64_t timestamp, int64_t count) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = runs_.find(timestamp);
  if (it == runs_.end()) return false;
  it->second.current_request_count = count;
  return true;
}

bool InMemoryRunRepository::CountReadModifyWrite(int64_t timestamp) {
  // Two steps with the lock released between them, as two SQL statements would be.
  std::optional<int64_t> count = ReadCount(timestamp);
  if (!count) return false;
  if (interleaving_.after_read) interleaving_.after_read(timestamp);
  return WriteCount(timestamp, *count + 1);
}

bool InMemoryRunRepository::CountOptimistic(int64_t timestamp) {
  for (;;) {
    std::optional<int64_t> count = ReadCount(timestamp);
    if (!count) return false;
    if (interleaving_.after_read) interleaving_.after_read(timestamp);

    std::lock_guard<std::mutex> lock(mu_);
    auto it = runs_.find(timestamp);
    if (it == runs_.end()) return false;
    if (it->second.current_request_count == *count) {
      it->second.current_request_count = *count + 1;
      return true;
    }
  }
}

bool InMemoryRunRepository::CountWithRowLock(int64_t timestamp) {
  {
    std::unique_lock<std::mutex> lock(row_lock_mu_);
    if (row_locked_[timestamp] && interleaving_.before_lock_wait) {
      lock.unlock();
      interleaving_.before_lock_wait(timestamp);
      lock.lock();
    }
    row_lock_released_.wait(lock, [&] { return !row_locked_[timestamp]; });
    row_locked_[timestamp] = true;
  }

  // The row is ours: a read, the hook, and a write cannot interleave with another counter.
  std::optional<int64_t> count = ReadCount(timestamp);
  if (count && interleaving_.after_read) interleaving_.after_read(timestamp);
  bool counted = count && WriteCount(timestamp, *count + 1);

  {
    std::lock_guard<std::mutex> lock(row_lock_mu_);
    row_locked_.erase(timestamp);
  }
  row_lock_released_.notify_all();
  return counted;
}

bool InMemoryRunRepository::CountCall(int64_t timestamp, Strategy strategy) {
  switch (strategy) {
    case Strategy::kReadModifyWrite:
      return CountReadModifyWrite(timestamp);
    case Strategy::kOptimistic:
      return CountOptimistic(timestamp);
    case Strategy::kRowLock:
      return CountWithRowLock(timestamp);
    case Strategy::kAtomic:
      break;
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto it = runs_.find(timestamp);
  if (it == runs_.end()) return false;
  ++it->second.current_request_count;
  return true;
}

bool InMemoryRunRepository::FinishRun(int64_t timestamp, const RunOutcome& outcome,
                                      int64_t finished_at_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = runs_.find(timestamp);
  if (it == runs_.end()) return false;
  Run& run = it->second;
  run.status = outcome.status;
  run.succeeded_calls = outcome.succeeded_calls;
  run.failed_calls = outcome.failed_calls;
  run.instances = outcome.instances;
  run.latency = outcome.latency;
  run.finished_at_ms = finished_at_ms;
  return true;
}

std::optional<Run> InMemoryRunRepository::GetRun(int64_t timestamp) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = runs_.find(timestamp);
  if (it == runs_.end()) return std::nullopt;
  return it->second;
}

std::vector<Run> InMemoryRunRepository::ListRuns(int limit, int offset) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Run> runs;
  if (limit <= 0 || offset < 0) return runs;
  int skipped = 0;
  for (auto it = runs_.rbegin(); it != runs_.rend() && static_cast<int>(runs.size()) < limit;
       ++it) {
    if (skipped++ < offset) continue;
    runs.push_back(it->second);
  }
  return runs;
}

int64_t InMemoryRunRepository::CountRuns() {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int64_t>(runs_.size());
}

}  // namespace pcfdemo
