// DeferredRunRepository stands in for a repository whose backend may not be reachable yet,
// so a web instance can start, serve its probes and report "not ready" while its database
// is down, instead of crashing. It opens the real repository on first use; while opening
// fails, it tries again at most once per retry interval and every call in between throws
// BackendError at once (a down database does not make every request wait for a timeout).
// Once open, calls go straight to the real repository, which handles reconnects itself.
//
// Thread-safe: concurrent first calls open the backend once; after that no lock is taken.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "pcfdemo/clock.h"
#include "pcfdemo/run_repository.h"

namespace pcfdemo {

class DeferredRunRepository : public RunRepository {
 public:
  // `open` makes the real repository (with its schema ensured) or throws BackendError.
  // `description` names the backend for Describe() until it is open; it must not contain
  // credentials. `clock` (nullptr: the system clock) must outlive this object.
  DeferredRunRepository(std::function<std::unique_ptr<RunRepository>()> open,
                        std::string description, Clock* clock = nullptr,
                        std::chrono::milliseconds retry_interval = std::chrono::seconds(2));

  // Opens the backend now unless it is open or the last attempt was within the retry
  // interval. Returns true if the repository is open. Never throws; the last failure is
  // kept in last_error().
  bool TryOpen();

  bool is_open() const { return open_repository_.load() != nullptr; }

  // Why the last attempt to open failed; empty once open.
  std::string last_error() const;

  void EnsureSchema() override;
  int64_t CreateRun(int64_t start_seconds, int64_t calls, Strategy strategy) override;
  bool CountCall(int64_t timestamp, Strategy strategy) override;
  bool FinishRun(int64_t timestamp, const RunOutcome& outcome, int64_t finished_at_ms) override;
  std::optional<Run> GetRun(int64_t timestamp) override;
  std::vector<Run> ListRuns(int limit, int offset) override;
  int64_t CountRuns() override;

  // The real repository's description once open; until then the given description.
  std::string Describe() const override;

 private:
  // The open repository; throws BackendError if it cannot be opened now.
  RunRepository* Get();

  const std::function<std::unique_ptr<RunRepository>()> open_;
  const std::string description_;
  Clock* clock_;
  const std::chrono::milliseconds retry_interval_;

  std::atomic<RunRepository*> open_repository_{nullptr};
  mutable std::mutex mu_;  // guards the fields below
  std::unique_ptr<RunRepository> repository_;
  bool attempted_ = false;
  int64_t last_attempt_micros_ = 0;
  std::string last_error_;
};

}  // namespace pcfdemo
