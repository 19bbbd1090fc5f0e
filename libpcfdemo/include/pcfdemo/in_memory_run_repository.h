// A RunRepository in this process's memory, for tests and the `memory:` database URL.
// Models each strategy faithfully: read-modify-write reads and writes in two steps with the
// lock released between them, so concurrent counts can be lost exactly as in a database.
// Thread-safe.
#pragma once

#include <condition_variable>
#include <map>
#include <mutex>

#include "pcfdemo/run_repository.h"

namespace pcfdemo {

class InMemoryRunRepository : public RunRepository {
 public:
  explicit InMemoryRunRepository(CountInterleaving interleaving = {});

  void EnsureSchema() override {}
  int64_t CreateRun(int64_t start_seconds, int64_t calls, Strategy strategy) override;
  bool CountCall(int64_t timestamp, Strategy strategy) override;
  bool FinishRun(int64_t timestamp, const RunOutcome& outcome, int64_t finished_at_ms) override;
  std::optional<Run> GetRun(int64_t timestamp) override;
  std::vector<Run> ListRuns(int limit, int offset) override;
  int64_t CountRuns() override;
  std::string Describe() const override { return "memory"; }

 private:
  std::optional<int64_t> ReadCount(int64_t timestamp);
  bool WriteCount(int64_t timestamp, int64_t count);
  bool CountReadModifyWrite(int64_t timestamp);
  bool CountOptimistic(int64_t timestamp);
  bool CountWithRowLock(int64_t timestamp);

  const CountInterleaving interleaving_;
  std::mutex mu_;
  std::map<int64_t, Run> runs_;  // by timestamp

  // Row locks for the row-lock strategy: the timestamps whose row a counter holds.
  std::mutex row_lock_mu_;
  std::condition_variable row_lock_released_;
  std::map<int64_t, bool> row_locked_;
};

}  // namespace pcfdemo
