// Two counts of one run forced to interleave at the worst moment, deterministically: the
// second count runs completely between the first one's read and its write. Only
// read-modify-write may lose an update under that interleaving.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

#include "pcfdemo/in_memory_run_repository.h"

namespace pcfdemo {
namespace {

constexpr int64_t kStart = 1700000000;

// Runs one count on this thread; the first time it has read the count, a second count runs to
// the end (or, for row-lock, until it is blocked on the row) on another thread.
int64_t CountTwiceInterleaved(Strategy strategy) {
  std::unique_ptr<InMemoryRunRepository> repository;
  std::atomic<bool> interleaved{false};
  std::promise<void> second_blocked_or_done;
  std::thread second;

  CountInterleaving interleaving;
  interleaving.after_read = [&](int64_t timestamp) {
    if (interleaved.exchange(true)) return;
    auto done = std::make_shared<std::promise<void>>();
    std::future<void> finished = done->get_future();
    second = std::thread([&, timestamp, done] {
      repository->CountCall(timestamp, strategy);
      done->set_value();
    });
    // Row-lock: the second count cannot finish while we hold the row; it tells us it waits.
    std::future<void> blocked = second_blocked_or_done.get_future();
    while (finished.wait_for(std::chrono::milliseconds(1)) != std::future_status::ready &&
           blocked.wait_for(std::chrono::milliseconds(0)) != std::future_status::ready) {
    }
  };
  interleaving.before_lock_wait = [&](int64_t) { second_blocked_or_done.set_value(); };

  repository = std::make_unique<InMemoryRunRepository>(interleaving);
  int64_t timestamp = repository->CreateRun(kStart, 2, strategy);
  EXPECT_TRUE(repository->CountCall(timestamp, strategy));
  second.join();
  EXPECT_TRUE(interleaved);
  return repository->GetRun(timestamp)->current_request_count;
}

TEST(StrategyInterleavingTest, ReadModifyWriteLosesTheInterleavedUpdate) {
  EXPECT_EQ(CountTwiceInterleaved(Strategy::kReadModifyWrite), 1);
}

TEST(StrategyInterleavingTest, OptimisticRetriesAndLosesNothing) {
  EXPECT_EQ(CountTwiceInterleaved(Strategy::kOptimistic), 2);
}

TEST(StrategyInterleavingTest, RowLockMakesTheSecondCountWaitAndLosesNothing) {
  EXPECT_EQ(CountTwiceInterleaved(Strategy::kRowLock), 2);
}

TEST(StrategyInterleavingTest, AtomicNeverReadsSoNothingCanInterleave) {
  bool hook_called = false;
  CountInterleaving interleaving;
  interleaving.after_read = [&](int64_t) { hook_called = true; };
  InMemoryRunRepository repository(interleaving);
  int64_t timestamp = repository.CreateRun(kStart, 2, Strategy::kAtomic);
  EXPECT_TRUE(repository.CountCall(timestamp, Strategy::kAtomic));
  EXPECT_TRUE(repository.CountCall(timestamp, Strategy::kAtomic));
  EXPECT_FALSE(hook_called);
  EXPECT_EQ(repository.GetRun(timestamp)->current_request_count, 2);
}

TEST(StrategyInterleavingTest, SafeStrategiesCountEveryCallUnderRealConcurrency) {
  for (Strategy strategy : {Strategy::kAtomic, Strategy::kRowLock, Strategy::kOptimistic}) {
    InMemoryRunRepository repository;
    int64_t timestamp = repository.CreateRun(kStart, 4000, strategy);
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&] {
        for (int i = 0; i < 500; ++i) repository.CountCall(timestamp, strategy);
      });
    }
    for (std::thread& thread : threads) thread.join();
    EXPECT_EQ(repository.GetRun(timestamp)->current_request_count, 4000) << StrategyName(strategy);
  }
}

}  // namespace
}  // namespace pcfdemo
