#include "pcfdemo/deferred_run_repository.h"

#include <gtest/gtest.h>

#include "pcfdemo/backend_error.h"
#include "pcfdemo/in_memory_run_repository.h"

namespace pcfdemo {
namespace {

using std::chrono::seconds;

// Opens an in-memory repository once `reachable` is true; counts the attempts.
struct Backend {
  bool reachable = false;
  int attempts = 0;

  std::function<std::unique_ptr<RunRepository>()> Opener() {
    return [this]() -> std::unique_ptr<RunRepository> {
      ++attempts;
      if (!reachable) throw BackendError("mysql", "connection refused");
      return std::make_unique<InMemoryRunRepository>();
    };
  }
};

TEST(DeferredRunRepository, UnreachableBackendThrowsBackendErrorNamingTheReason) {
  ManualClock clock;
  Backend backend;
  DeferredRunRepository runs(backend.Opener(), "mysql db.example:3306/pcfdemo", &clock, seconds(2));

  EXPECT_FALSE(runs.TryOpen());
  EXPECT_FALSE(runs.is_open());
  EXPECT_NE(runs.last_error().find("connection refused"), std::string::npos);
  EXPECT_EQ(runs.Describe(), "mysql db.example:3306/pcfdemo");
  try {
    runs.CountCall(1700000000, Strategy::kAtomic);
    FAIL() << "expected BackendError";
  } catch (const BackendError& e) {
    EXPECT_NE(std::string(e.what()).find("not connected"), std::string::npos);
  }
}

TEST(DeferredRunRepository, RetriesAtMostOncePerInterval) {
  ManualClock clock;
  Backend backend;
  DeferredRunRepository runs(backend.Opener(), "runs", &clock, seconds(2));

  EXPECT_FALSE(runs.TryOpen());
  EXPECT_THROW(runs.GetRun(1), BackendError);
  EXPECT_THROW(runs.ListRuns(10, 0), BackendError);
  EXPECT_EQ(backend.attempts, 1);

  backend.reachable = true;
  EXPECT_THROW(runs.CountRuns(), BackendError);  // still within the interval
  EXPECT_EQ(backend.attempts, 1);

  clock.Advance(2 * 1000000);
  EXPECT_EQ(runs.CountRuns(), 0);
  EXPECT_TRUE(runs.is_open());
  EXPECT_EQ(backend.attempts, 2);
  EXPECT_TRUE(runs.last_error().empty());
}

TEST(DeferredRunRepository, OnceOpenEveryCallReachesTheRealRepository) {
  Backend backend;
  backend.reachable = true;
  DeferredRunRepository runs(backend.Opener(), "runs", nullptr);

  int64_t timestamp = runs.CreateRun(1700000000, 3, Strategy::kAtomic);
  EXPECT_TRUE(runs.CountCall(timestamp, Strategy::kAtomic));
  EXPECT_FALSE(runs.CountCall(timestamp + 100, Strategy::kAtomic));
  RunOutcome outcome;
  outcome.succeeded_calls = 1;
  EXPECT_TRUE(runs.FinishRun(timestamp, outcome, 1700000001000));
  std::optional<pcfdemo::Run> run = runs.GetRun(timestamp);
  ASSERT_TRUE(run);
  EXPECT_EQ(run->current_request_count, 1);
  EXPECT_EQ(run->status, RunStatus::kFinished);
  EXPECT_EQ(runs.ListRuns(10, 0).size(), 1u);
  EXPECT_EQ(runs.Describe(), "memory");
  EXPECT_EQ(backend.attempts, 1);
}

}  // namespace
}  // namespace pcfdemo
