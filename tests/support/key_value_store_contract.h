// The behaviour every KeyValueStore promises, as one value-parameterised test suite. A test
// file runs it against an implementation by including this header once and instantiating:
//
//   INSTANTIATE_TEST_SUITE_P(Memory, KeyValueStoreContract,
//                            ::testing::Values(KeyValueStoreTarget{...}), TargetName);
//
// Include it in only one source file per test executable: it defines the tests.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "pcfdemo/key_value_store.h"

namespace pcfdemo::testing {

struct KeyValueStoreTarget {
  std::string name;
  // Returns an empty store, or nullptr if this target cannot run here (the test is skipped).
  std::function<std::unique_ptr<KeyValueStore>()> make;
  // Lets `duration` pass for the store: advances a manual clock, or really waits.
  std::function<void(std::chrono::seconds duration)> let_time_pass;
};

// Keeps gtest from dumping the target's bytes in failure messages.
inline void PrintTo(const KeyValueStoreTarget& target, std::ostream* out) {
  *out << target.name;
}

inline std::string TargetName(const ::testing::TestParamInfo<KeyValueStoreTarget>& info) {
  return info.param.name;
}

class KeyValueStoreContract : public ::testing::TestWithParam<KeyValueStoreTarget> {
 protected:
  void SetUp() override {
    store_ = GetParam().make();
    if (store_ == nullptr) GTEST_SKIP() << GetParam().name << " is not available here";
  }

  std::unique_ptr<KeyValueStore> store_;
};

using Ttl = KeyValueStore::Ttl;

TEST_P(KeyValueStoreContract, GetOfMissingKeyIsAbsent) {
  EXPECT_EQ(store_->Get("missing"), std::nullopt);
}

TEST_P(KeyValueStoreContract, SetThenGetReturnsTheValueAndSetReplaces) {
  store_->Set("amountOfCalls", "500");
  EXPECT_EQ(store_->Get("amountOfCalls"), "500");
  store_->Set("amountOfCalls", "20");
  EXPECT_EQ(store_->Get("amountOfCalls"), "20");
}

TEST_P(KeyValueStoreContract, ValuesKeepEveryByte) {
  const std::string spaced = "a value with spaces\r\nand lines\tand tabs";
  const std::string binary = std::string("nul\0inside\xff", 11);
  const std::string large(200 * 1024, 'x');
  store_->Set("spaced", spaced);
  store_->Set("binary", binary);
  store_->Set("large", large);
  store_->Set("empty", "");
  EXPECT_EQ(store_->Get("spaced"), spaced);
  EXPECT_EQ(store_->Get("binary"), binary);
  EXPECT_EQ(store_->Get("large"), large);
  EXPECT_EQ(store_->Get("empty"), std::string());  // present, not absent
}

TEST_P(KeyValueStoreContract, AddCreatesOnlyWhenAbsent) {
  EXPECT_TRUE(store_->Add("workInProgress", "True"));
  EXPECT_FALSE(store_->Add("workInProgress", "Other"));
  EXPECT_EQ(store_->Get("workInProgress"), "True");
}

TEST_P(KeyValueStoreContract, ManyThreadsRacingAddExactlyOneWins) {
  constexpr int kThreads = 8;
  constexpr int kRounds = 20;
  for (int round = 0; round < kRounds; ++round) {
    const std::string key = "race-" + std::to_string(round);
    std::atomic<int> ready{0};
    std::atomic<int> winners{0};
    std::atomic<int> winner_id{-1};
    std::atomic<int> errors{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        ready.fetch_add(1);
        // Bounded spin so every thread reaches Add at about the same moment.
        for (int spin = 0; spin < 10000000 && ready.load() < kThreads; ++spin) {
          std::this_thread::yield();
        }
        try {
          if (store_->Add(key, std::to_string(t))) {
            winners.fetch_add(1);
            winner_id.store(t);
          }
        } catch (const std::exception&) {
          errors.fetch_add(1);
        }
      });
    }
    for (std::thread& thread : threads) thread.join();
    ASSERT_EQ(errors.load(), 0) << "round " << round;
    ASSERT_EQ(winners.load(), 1) << "round " << round;
    EXPECT_EQ(store_->Get(key), std::to_string(winner_id.load()));
  }
}

TEST_P(KeyValueStoreContract, CompareAndSetReplacesOnlyAMatchingValue) {
  EXPECT_FALSE(store_->CompareAndSet("CPULoad", "OFF", "ON"));  // absent
  EXPECT_EQ(store_->Get("CPULoad"), std::nullopt);

  store_->Set("CPULoad", "OFF");
  EXPECT_FALSE(store_->CompareAndSet("CPULoad", "on", "ON"));
  EXPECT_EQ(store_->Get("CPULoad"), "OFF");
  EXPECT_TRUE(store_->CompareAndSet("CPULoad", "OFF", "ON"));
  EXPECT_EQ(store_->Get("CPULoad"), "ON");
  EXPECT_FALSE(store_->CompareAndSet("CPULoad", "OFF", "ON"));
}

TEST_P(KeyValueStoreContract, ConcurrentCompareAndSetIncrementsLoseNothing) {
  constexpr int kThreads = 4;
  constexpr int kIncrementsPerThread = 25;
  constexpr int kMaxAttemptsPerThread = 20000;
  store_->Set("counter", "0");
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      int done = 0;
      try {
        for (int attempt = 0; attempt < kMaxAttemptsPerThread && done < kIncrementsPerThread;
             ++attempt) {
          std::optional<std::string> current = store_->Get("counter");
          if (!current) break;
          std::string next = std::to_string(std::stoi(*current) + 1);
          if (store_->CompareAndSet("counter", *current, next)) ++done;
        }
      } catch (const std::exception&) {
        errors.fetch_add(1);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(store_->Get("counter"), std::to_string(kThreads * kIncrementsPerThread));
}

TEST_P(KeyValueStoreContract, RemoveReportsWhetherTheKeyExisted) {
  store_->Set("destinationURL", "http://app.example.com/receiver");
  EXPECT_TRUE(store_->Remove("destinationURL"));
  EXPECT_EQ(store_->Get("destinationURL"), std::nullopt);
  EXPECT_FALSE(store_->Remove("destinationURL"));
  EXPECT_TRUE(store_->Add("destinationURL", "again"));
}

TEST_P(KeyValueStoreContract, FlushRemovesEveryKey) {
  store_->Set("a", "1");
  store_->Set("b", "2", Ttl(600));
  store_->Flush();
  EXPECT_EQ(store_->Get("a"), std::nullopt);
  EXPECT_EQ(store_->Get("b"), std::nullopt);
  EXPECT_TRUE(store_->Add("a", "3"));
  EXPECT_EQ(store_->Get("a"), "3");
}

TEST_P(KeyValueStoreContract, EntriesExpireAfterTheirTimeToLive) {
  store_->Set("CPULoad", "ON", Ttl(1));
  EXPECT_TRUE(store_->Add("workInProgress", "True", Ttl(1)));
  store_->Set("kept", "forever");
  store_->Set("long", "lived", Ttl(3600));
  EXPECT_EQ(store_->Get("CPULoad"), "ON");

  GetParam().let_time_pass(std::chrono::seconds(3));

  EXPECT_EQ(store_->Get("CPULoad"), std::nullopt);
  EXPECT_EQ(store_->Get("workInProgress"), std::nullopt);
  EXPECT_TRUE(store_->Add("workInProgress", "True"));  // an expired lock can be taken again
  EXPECT_EQ(store_->Get("kept"), "forever");
  EXPECT_EQ(store_->Get("long"), "lived");
}

TEST_P(KeyValueStoreContract, CompareAndSetAppliesTheNewTimeToLive) {
  store_->Set("CPULoad", "OFF");
  EXPECT_TRUE(store_->CompareAndSet("CPULoad", "OFF", "ON", Ttl(1)));
  GetParam().let_time_pass(std::chrono::seconds(3));
  EXPECT_EQ(store_->Get("CPULoad"), std::nullopt);
}

TEST_P(KeyValueStoreContract, DescribeNamesTheStore) {
  EXPECT_FALSE(store_->Describe().empty());
}

}  // namespace pcfdemo::testing
