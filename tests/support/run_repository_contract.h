// The behaviour every RunRepository promises, as one value-parameterised test suite. A test
// file runs it against an implementation by including this header once and instantiating:
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, RunRepositoryContract,
//                            ::testing::Values(RunRepositoryTarget{...}), RunRepositoryTargetName);
//
// Include it in only one source file per test executable: it defines the tests.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "pcfdemo/backend_error.h"
#include "pcfdemo/run_repository.h"

namespace pcfdemo::testing {

// Storage for one test: a file, a database on a server, or nothing (memory). Destroying it
// removes what the test wrote.
class RunRepositoryStorage {
 public:
  virtual ~RunRepositoryStorage() = default;

  // Opens a repository with its schema ensured. On durable storage every call opens the same
  // data; otherwise every call returns a new, empty repository.
  virtual std::unique_ptr<RunRepository> Open(CountInterleaving interleaving) = 0;
};

struct RunRepositoryTarget {
  std::string name;
  // Returns fresh, empty storage, or nullptr if this target cannot run here (the test is
  // skipped).
  std::function<std::unique_ptr<RunRepositoryStorage>()> make;
  // True if a second Open() sees what the first wrote.
  bool durable = false;
  // Why this target cannot run here, or empty; consulted before make().
  std::function<std::string()> unavailable;
};

// Names the target in test output instead of dumping its bytes.
inline void PrintTo(const RunRepositoryTarget& target, std::ostream* out) {
  *out << target.name;
}

inline std::string RunRepositoryTargetName(
    const ::testing::TestParamInfo<RunRepositoryTarget>& info) {
  return info.param.name;
}

class RunRepositoryContract : public ::testing::TestWithParam<RunRepositoryTarget> {
 protected:
  static constexpr int64_t kStart = 1700000000;

  void SetUp() override {
    if (GetParam().unavailable) {
      std::string reason = GetParam().unavailable();
      if (!reason.empty()) GTEST_SKIP() << reason;
    }
    storage_ = GetParam().make();
    if (storage_ == nullptr) GTEST_SKIP() << GetParam().name << " is not available here";
    repository_ = storage_->Open({});
  }

  void TearDown() override {
    repository_.reset();
    storage_.reset();
  }

  int64_t CountOf(RunRepository& repository, int64_t timestamp) {
    std::optional<pcfdemo::Run> run = repository.GetRun(timestamp);
    EXPECT_TRUE(run.has_value());
    return run ? run->current_request_count : -1;
  }

  // Counts two calls with `strategy` such that the second runs entirely between the first's
  // read and its write, from another thread (and, on a database, another connection).
  // Returns the count that the run ends with.
  int64_t CountTwiceInterleaved(Strategy strategy) {
    std::atomic<bool> interleaved{false};
    std::atomic<bool> inner_counted{false};
    RunRepository* hooked = nullptr;
    CountInterleaving interleaving;
    interleaving.after_read = [&](int64_t timestamp) {
      if (interleaved.exchange(true)) return;  // only the outer count's first read
      std::thread inner([&] { inner_counted = hooked->CountCall(timestamp, strategy); });
      inner.join();
    };
    std::unique_ptr<RunRepository> repository = storage_->Open(interleaving);
    hooked = repository.get();

    int64_t timestamp = repository->CreateRun(kStart, 2, strategy);
    EXPECT_TRUE(repository->CountCall(timestamp, strategy));
    EXPECT_TRUE(interleaved.load()) << "the interleaving hook was never called";
    EXPECT_TRUE(inner_counted.load());
    return CountOf(*repository, timestamp);
  }

  std::unique_ptr<RunRepositoryStorage> storage_;
  std::unique_ptr<RunRepository> repository_;
};

TEST_P(RunRepositoryContract, CreateRunRecordsARunningRunWithItsFigures) {
  int64_t timestamp = repository_->CreateRun(kStart, 250, Strategy::kOptimistic);
  EXPECT_EQ(timestamp, kStart);

  std::optional<pcfdemo::Run> run = repository_->GetRun(timestamp);
  ASSERT_TRUE(run.has_value());
  EXPECT_EQ(run->timestamp, kStart);
  EXPECT_EQ(run->current_request_count, 0);
  EXPECT_EQ(run->max_possible_count, 250);
  EXPECT_EQ(run->strategy, Strategy::kOptimistic);
  EXPECT_EQ(run->status, RunStatus::kRunning);
  EXPECT_EQ(run->succeeded_calls, 0);
  EXPECT_EQ(run->failed_calls, 0);
  EXPECT_TRUE(run->instances.empty());
  EXPECT_EQ(run->started_at_ms, kStart * 1000);
  EXPECT_EQ(run->finished_at_ms, 0);
}

TEST_P(RunRepositoryContract, RunsStartedInTheSameSecondNeverCollide) {
  int64_t first = repository_->CreateRun(kStart, 10, Strategy::kAtomic);
  int64_t second = repository_->CreateRun(kStart, 20, Strategy::kAtomic);
  int64_t third = repository_->CreateRun(kStart, 30, Strategy::kRowLock);
  EXPECT_EQ(first, kStart);
  EXPECT_EQ(second, kStart + 1);
  EXPECT_EQ(third, kStart + 2);

  // Each run kept its own figures.
  EXPECT_EQ(repository_->GetRun(first)->max_possible_count, 10);
  EXPECT_EQ(repository_->GetRun(second)->max_possible_count, 20);
  EXPECT_EQ(repository_->GetRun(third)->max_possible_count, 30);
  EXPECT_EQ(repository_->CountRuns(), 3);
}

TEST_P(RunRepositoryContract, RunsCreatedConcurrentlyInOneSecondGetDistinctTimestamps) {
  constexpr int kThreads = 4;
  std::vector<int64_t> timestamps(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back(
        [&, i] { timestamps[i] = repository_->CreateRun(kStart, 5, Strategy::kAtomic); });
  }
  for (std::thread& thread : threads) thread.join();

  std::sort(timestamps.begin(), timestamps.end());
  for (int i = 0; i < kThreads; ++i) EXPECT_EQ(timestamps[i], kStart + i);
  EXPECT_EQ(repository_->CountRuns(), kThreads);
}

TEST_P(RunRepositoryContract, EachStrategyCountsEveryCallWhenAlone) {
  int64_t start = kStart;
  for (Strategy strategy : kAllStrategies) {
    SCOPED_TRACE(std::string(StrategyName(strategy)));
    int64_t timestamp = repository_->CreateRun(start++, 5, strategy);
    for (int i = 0; i < 5; ++i) EXPECT_TRUE(repository_->CountCall(timestamp, strategy));
    EXPECT_EQ(CountOf(*repository_, timestamp), 5);
  }
}

TEST_P(RunRepositoryContract, UnknownRunIsNotCountedFinishedOrFound) {
  repository_->CreateRun(kStart, 5, Strategy::kAtomic);
  for (Strategy strategy : kAllStrategies) {
    EXPECT_FALSE(repository_->CountCall(kStart + 99, strategy)) << StrategyName(strategy);
  }
  EXPECT_FALSE(repository_->FinishRun(kStart + 99, RunOutcome{}, 1));
  EXPECT_FALSE(repository_->GetRun(kStart + 99).has_value());
  EXPECT_EQ(CountOf(*repository_, kStart), 0);
}

TEST_P(RunRepositoryContract, FinishRunRecordsTheOutcome) {
  int64_t timestamp = repository_->CreateRun(kStart, 12, Strategy::kReadModifyWrite);
  for (int i = 0; i < 7; ++i) ASSERT_TRUE(repository_->CountCall(timestamp, Strategy::kAtomic));

  RunOutcome outcome;
  outcome.status = RunStatus::kFinished;
  outcome.succeeded_calls = 10;
  outcome.failed_calls = 2;
  outcome.instances = {{"0", 6}, {"1", 4}, {"web \"quoted\" 10.0.0.7:8080", 1}};
  outcome.latency = LatencySummary{1.5, 9.25, 20.0};
  ASSERT_TRUE(repository_->FinishRun(timestamp, outcome, kStart * 1000 + 4321));

  std::optional<pcfdemo::Run> run = repository_->GetRun(timestamp);
  ASSERT_TRUE(run.has_value());
  EXPECT_EQ(run->status, RunStatus::kFinished);
  EXPECT_EQ(run->current_request_count, 7);
  EXPECT_EQ(run->max_possible_count, 12);
  EXPECT_EQ(run->strategy, Strategy::kReadModifyWrite);
  EXPECT_EQ(run->succeeded_calls, 10);
  EXPECT_EQ(run->failed_calls, 2);
  EXPECT_EQ(run->lost_updates(), 3);
  EXPECT_EQ(run->instances, outcome.instances);
  EXPECT_DOUBLE_EQ(run->latency.p50_ms, 1.5);
  EXPECT_DOUBLE_EQ(run->latency.p95_ms, 9.25);
  EXPECT_DOUBLE_EQ(run->latency.p99_ms, 20.0);
  EXPECT_EQ(run->started_at_ms, kStart * 1000);
  EXPECT_EQ(run->finished_at_ms, kStart * 1000 + 4321);
}

TEST_P(RunRepositoryContract, AbandonedRunKeepsItsStatus) {
  int64_t timestamp = repository_->CreateRun(kStart, 3, Strategy::kAtomic);
  RunOutcome outcome;
  outcome.status = RunStatus::kAbandoned;
  outcome.succeeded_calls = 1;
  ASSERT_TRUE(repository_->FinishRun(timestamp, outcome, kStart * 1000 + 1));
  EXPECT_EQ(repository_->GetRun(timestamp)->status, RunStatus::kAbandoned);
}

TEST_P(RunRepositoryContract, ListRunsIsNewestFirstWithLimitAndOffset) {
  // Created out of order: the list is ordered by timestamp, not by creation.
  for (int64_t offset : {2, 0, 4, 1, 3}) {
    repository_->CreateRun(kStart + offset * 10, 1 + offset, Strategy::kAtomic);
  }
  EXPECT_EQ(repository_->CountRuns(), 5);

  auto timestamps = [](const std::vector<pcfdemo::Run>& runs) {
    std::vector<int64_t> result;
    for (const pcfdemo::Run& run : runs) result.push_back(run.timestamp);
    return result;
  };
  EXPECT_EQ(timestamps(repository_->ListRuns(2, 0)),
            (std::vector<int64_t>{kStart + 40, kStart + 30}));
  EXPECT_EQ(timestamps(repository_->ListRuns(2, 2)),
            (std::vector<int64_t>{kStart + 20, kStart + 10}));
  EXPECT_EQ(timestamps(repository_->ListRuns(10, 4)), (std::vector<int64_t>{kStart}));
  EXPECT_TRUE(repository_->ListRuns(10, 5).empty());
  EXPECT_TRUE(repository_->ListRuns(0, 0).empty());

  std::vector<pcfdemo::Run> all = repository_->ListRuns(100, 0);
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(all.front().max_possible_count, 5);  // the run at offset 4
  EXPECT_EQ(all.back().max_possible_count, 1);
}

TEST_P(RunRepositoryContract, EmptyRepositoryHasNoRuns) {
  EXPECT_EQ(repository_->CountRuns(), 0);
  EXPECT_TRUE(repository_->ListRuns(10, 0).empty());
}

TEST_P(RunRepositoryContract, EnsureSchemaIsIdempotentAndKeepsRuns) {
  int64_t timestamp = repository_->CreateRun(kStart, 8, Strategy::kAtomic);
  ASSERT_TRUE(repository_->CountCall(timestamp, Strategy::kAtomic));
  repository_->EnsureSchema();
  repository_->EnsureSchema();
  EXPECT_EQ(CountOf(*repository_, timestamp), 1);
  EXPECT_EQ(repository_->CountRuns(), 1);
}

TEST_P(RunRepositoryContract, TwoRepositoriesEnsuringTheSchemaAtOnceBothSucceed) {
  if (!GetParam().durable) GTEST_SKIP() << "nothing is shared between repositories in memory";
  // Fresh storage with no table yet. Opening ensures the schema; do it from two threads
  // against the same storage, as two processes starting together would.
  std::unique_ptr<RunRepositoryStorage> fresh = GetParam().make();
  ASSERT_NE(fresh, nullptr);
  std::vector<std::unique_ptr<RunRepository>> opened(2);
  std::vector<std::string> errors(2);
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i) {
    threads.emplace_back([&, i] {
      try {
        opened[i] = fresh->Open({});
        opened[i]->EnsureSchema();
      } catch (const std::exception& e) {
        errors[i] = e.what();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(errors[0], "");
  EXPECT_EQ(errors[1], "");
  ASSERT_NE(opened[0], nullptr);
  ASSERT_NE(opened[1], nullptr);

  int64_t timestamp = opened[0]->CreateRun(kStart, 2, Strategy::kAtomic);
  ASSERT_TRUE(opened[1]->CountCall(timestamp, Strategy::kAtomic));
  EXPECT_EQ(CountOf(*opened[0], timestamp), 1);
}

TEST_P(RunRepositoryContract, RunsSurviveReopening) {
  if (!GetParam().durable) GTEST_SKIP() << "memory does not outlive its repository";
  int64_t timestamp = repository_->CreateRun(kStart, 4, Strategy::kRowLock);
  ASSERT_TRUE(repository_->CountCall(timestamp, Strategy::kRowLock));
  ASSERT_TRUE(repository_->CountCall(timestamp, Strategy::kRowLock));
  RunOutcome outcome;
  outcome.succeeded_calls = 4;
  outcome.instances = {{"0", 4}};
  ASSERT_TRUE(repository_->FinishRun(timestamp, outcome, kStart * 1000 + 900));
  repository_.reset();

  std::unique_ptr<RunRepository> reopened = storage_->Open({});
  std::optional<pcfdemo::Run> run = reopened->GetRun(timestamp);
  ASSERT_TRUE(run.has_value());
  EXPECT_EQ(run->current_request_count, 2);
  EXPECT_EQ(run->strategy, Strategy::kRowLock);
  EXPECT_EQ(run->status, RunStatus::kFinished);
  EXPECT_EQ(run->succeeded_calls, 4);
  EXPECT_EQ(run->instances, outcome.instances);
  EXPECT_EQ(run->lost_updates(), 2);

  // The reopened repository keeps counting and keeps timestamps apart.
  EXPECT_TRUE(reopened->CountCall(timestamp, Strategy::kAtomic));
  EXPECT_EQ(CountOf(*reopened, timestamp), 3);
  EXPECT_EQ(reopened->CreateRun(kStart, 1, Strategy::kAtomic), kStart + 1);
}

TEST_P(RunRepositoryContract, ReadModifyWriteLosesTheInterleavedUpdate) {
  // Both counts read 0 and both write 1: one of two calls is lost.
  EXPECT_EQ(CountTwiceInterleaved(Strategy::kReadModifyWrite), 1);
}

TEST_P(RunRepositoryContract, OptimisticKeepsTheInterleavedUpdate) {
  // The outer count's compare-and-set fails, it reads 1 again and writes 2.
  EXPECT_EQ(CountTwiceInterleaved(Strategy::kOptimistic), 2);
}

TEST_P(RunRepositoryContract, SafeStrategiesCountExactlyUnderConcurrency) {
  constexpr int kThreads = 4;
  constexpr int kCallsPerThread = 50;
  int64_t start = kStart;
  for (Strategy strategy : {Strategy::kAtomic, Strategy::kRowLock, Strategy::kOptimistic}) {
    SCOPED_TRACE(std::string(StrategyName(strategy)));
    int64_t timestamp = repository_->CreateRun(start++, kThreads * kCallsPerThread, strategy);
    std::atomic<int> counted{0};
    std::atomic<int> errors{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&] {
        for (int i = 0; i < kCallsPerThread; ++i) {
          try {
            if (repository_->CountCall(timestamp, strategy)) ++counted;
          } catch (const BackendError&) {
            ++errors;
          }
        }
      });
    }
    for (std::thread& thread : threads) thread.join();
    EXPECT_EQ(errors.load(), 0);
    EXPECT_EQ(counted.load(), kThreads * kCallsPerThread);
    EXPECT_EQ(CountOf(*repository_, timestamp), kThreads * kCallsPerThread);
  }
}

TEST_P(RunRepositoryContract, ReadModifyWriteUnderConcurrencyNeverOvercounts) {
  constexpr int kThreads = 4;
  constexpr int kCallsPerThread = 50;
  int64_t timestamp =
      repository_->CreateRun(kStart, kThreads * kCallsPerThread, Strategy::kReadModifyWrite);
  std::atomic<int> counted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kCallsPerThread; ++i) {
        if (repository_->CountCall(timestamp, Strategy::kReadModifyWrite)) ++counted;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(counted.load(), kThreads * kCallsPerThread);
  int64_t count = CountOf(*repository_, timestamp);
  // Lost updates are possible (and shown deterministically above); counting more calls
  // than were made is not.
  EXPECT_GE(count, 1);
  EXPECT_LE(count, kThreads * kCallsPerThread);
}

}  // namespace pcfdemo::testing
