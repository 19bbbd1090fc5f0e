// RunRepository records request runs and the calls the receivers count for them: the
// `request_recorder` table in MySQL/MariaDB or SQLite, or memory. Several processes may
// share one repository (services mode); the update strategy decides whether concurrent
// counts can be lost.
//
// Implementations are safe for concurrent access from multiple threads without external
// synchronization. Every method throws BackendError when the backend cannot answer.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "pcfdemo/run.h"
#include "pcfdemo/strategy.h"

namespace pcfdemo {

// A test seam: places inside one count where a test can force an interleaving of two
// counts deterministically. Empty functions are skipped. Production code leaves it empty.
struct CountInterleaving {
  // read-modify-write and optimistic: called after the count was read, before it is written.
  std::function<void(int64_t timestamp)> after_read;
  // row-lock: called when another count holds the row and this one is about to wait for it.
  std::function<void(int64_t timestamp)> before_lock_wait;
};

class RunRepository {
 public:
  RunRepository() = default;
  RunRepository(const RunRepository&) = delete;
  RunRepository& operator=(const RunRepository&) = delete;
  virtual ~RunRepository() = default;

  // Creates the table if absent, or migrates an existing one (for example of the original
  // four-column shape) by adding missing columns with defaults. Never drops data. Idempotent.
  virtual void EnsureSchema() = 0;

  // Creates a running run of `calls` calls and returns its timestamp: `start_seconds`, or
  // the next free second after it, so two runs started within one second never collide.
  // REQUIRES: calls > 0.
  virtual int64_t CreateRun(int64_t start_seconds, int64_t calls, Strategy strategy) = 0;

  // Counts one call for run `timestamp` with `strategy`. Returns false if there is no such
  // run. Only the racy strategy may lose the count to a concurrent one.
  virtual bool CountCall(int64_t timestamp, Strategy strategy) = 0;

  // Records the fan-out's outcome and the finish time. Returns false if there is no such run.
  virtual bool FinishRun(int64_t timestamp, const RunOutcome& outcome, int64_t finished_at_ms) = 0;

  // The run with this timestamp, or nullopt.
  virtual std::optional<Run> GetRun(int64_t timestamp) = 0;

  // Runs, newest first, skipping `offset` and returning at most `limit`.
  virtual std::vector<Run> ListRuns(int limit, int offset) = 0;

  // The number of runs recorded.
  virtual int64_t CountRuns() = 0;

  // A short description for logs and pages, e.g. "sqlite /var/lib/pcfdemo/runs.db" or
  // "mysql 127.0.0.1:3306/pcfdemo". Never contains credentials.
  virtual std::string Describe() const = 0;
};

}  // namespace pcfdemo
