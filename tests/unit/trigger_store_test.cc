#include "pcfdemo/trigger_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "pcfdemo/backend_error.h"
#include "pcfdemo/clock.h"
#include "pcfdemo/in_memory_key_value_store.h"
#include "pcfdemo/mocks/mocks.h"

namespace pcfdemo {
namespace {

using ::testing::_;
using ::testing::Return;

RunRequest Request(int64_t calls) {
  RunRequest request;
  request.calls = calls;
  request.destination = "http://127.0.0.1:8080/receiver";
  request.strategy = Strategy::kOptimistic;
  request.concurrency = 4;
  return request;
}

class TriggerStoreTest : public ::testing::Test {
 protected:
  ManualClock clock_;
  InMemoryKeyValueStore store_{&clock_};
  TriggerStore triggers_{&store_, &clock_};
};

TEST_F(TriggerStoreTest, WritesTheOriginalKeysAsPlainStrings) {
  ASSERT_TRUE(triggers_.TryTrigger(Request(500)));
  EXPECT_EQ(store_.Get("workInProgress"), "True");
  EXPECT_EQ(store_.Get("amountOfCalls"), "500");
  EXPECT_EQ(store_.Get("destinationURL"), "http://127.0.0.1:8080/receiver");
  EXPECT_EQ(store_.Get("pcfdemo.strategy"), "optimistic");
}

TEST_F(TriggerStoreTest, TheTriggerCannotBeTakenTwice) {
  ASSERT_TRUE(triggers_.TryTrigger(Request(10)));
  EXPECT_FALSE(triggers_.TryTrigger(Request(20)));
  std::optional<Trigger> current = triggers_.Current();
  ASSERT_TRUE(current);
  EXPECT_EQ(current->request.calls, 10);  // the first trigger is intact
}

TEST_F(TriggerStoreTest, ExactlyOneOfManyConcurrentTriggersWins) {
  std::atomic<int> winners{0};
  std::vector<std::thread> threads;
  for (int i = 1; i <= 16; ++i) {
    threads.emplace_back([&, i] {
      if (triggers_.TryTrigger(Request(i))) ++winners;
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(winners, 1);
}

TEST_F(TriggerStoreTest, TakesTheTriggerFromTheFalseTheOriginalLeavesBehind) {
  store_.Set("workInProgress", "False");
  EXPECT_FALSE(triggers_.Current());
  EXPECT_TRUE(triggers_.TryTrigger(Request(7)));
  EXPECT_EQ(triggers_.Current()->request.calls, 7);
}

TEST_F(TriggerStoreTest, NeverWritesOverATriggerItLost) {
  MockKeyValueStore store;
  TriggerStore triggers(&store, &clock_);
  EXPECT_CALL(store, Add("workInProgress", "True", _)).WillRepeatedly(Return(false));
  EXPECT_CALL(store, Get("workInProgress")).WillRepeatedly(Return("True"));
  EXPECT_CALL(store, Set(_, _, _)).Times(0);  // check-then-set would write here
  EXPECT_FALSE(triggers.TryTrigger(Request(5)));
}

TEST_F(TriggerStoreTest, ATriggerWhoseParametersNeverGotWrittenFreesItself) {
  // The store failed right after the flag was taken: no parameters follow it.
  MockKeyValueStore failing;
  TriggerStore triggers(&failing, &clock_);
  EXPECT_CALL(failing, Add("workInProgress", "True", _))
      .WillOnce([&](const std::string& key, const std::string& value, KeyValueStore::Ttl ttl) {
        return store_.Add(key, value, ttl);
      });
  EXPECT_CALL(failing, Set(_, _, _)).WillOnce([](auto&&...) {
    throw BackendError("memcached", "connection refused");
  });
  EXPECT_THROW(triggers.TryTrigger(Request(5)), BackendError);
  EXPECT_TRUE(triggers_.Current());  // pending, incomplete

  clock_.Advance(61 * 1000000);
  EXPECT_FALSE(triggers_.Current());
  EXPECT_TRUE(triggers_.TryTrigger(Request(6)));
}

TEST_F(TriggerStoreTest, ACompleteTriggerLastsUntilItsRunEnds) {
  ASSERT_TRUE(triggers_.TryTrigger(Request(5)));
  clock_.Advance(3600LL * 1000000);
  EXPECT_EQ(triggers_.Current()->request.calls, 5);
}

TEST_F(TriggerStoreTest, ATriggerOfTheOriginalWebAppIsCompleteAndCountsReadModifyWrite) {
  store_.Set("workInProgress", "True");
  store_.Set("amountOfCalls", "25");
  store_.Set("destinationURL", "http://app.example/receiver");
  std::optional<Trigger> current = triggers_.Current();
  ASSERT_TRUE(current);
  EXPECT_TRUE(TriggerStore::IsComplete(*current));
  EXPECT_EQ(current->request.strategy, Strategy::kReadModifyWrite);
  EXPECT_EQ(current->request.concurrency, 8);
}

TEST_F(TriggerStoreTest, ClaimIsExclusiveRenewableAndFreesItselfWhenTheLeaseEnds) {
  ASSERT_TRUE(triggers_.TryTrigger(Request(10)));
  EXPECT_TRUE(triggers_.Claim("worker-a", std::chrono::seconds(15)));
  EXPECT_FALSE(triggers_.Claim("worker-b", std::chrono::seconds(15)));
  EXPECT_TRUE(triggers_.RenewClaim("worker-a", std::chrono::seconds(15)));
  EXPECT_FALSE(triggers_.RenewClaim("worker-b", std::chrono::seconds(15)));

  clock_.Advance(16 * 1000000);
  EXPECT_FALSE(triggers_.RenewClaim("worker-a", std::chrono::seconds(15)));
  EXPECT_TRUE(triggers_.Claim("worker-b", std::chrono::seconds(15)));
}

TEST_F(TriggerStoreTest, NothingToClaimWhenIdleOrIncomplete) {
  EXPECT_FALSE(triggers_.Claim("worker-a", std::chrono::seconds(15)));
  store_.Set("workInProgress", "True");  // parameters not written yet
  EXPECT_FALSE(triggers_.Claim("worker-a", std::chrono::seconds(15)));
}

TEST_F(TriggerStoreTest, ClearLeavesFalseLikeTheOriginalAndAllowsTheNextTrigger) {
  ASSERT_TRUE(triggers_.TryTrigger(Request(10)));
  ASSERT_TRUE(triggers_.Claim("worker-a", std::chrono::seconds(15)));
  triggers_.RecordRun(1700000000);
  EXPECT_EQ(triggers_.Current()->run_timestamp, 1700000000);

  triggers_.Clear();
  EXPECT_EQ(store_.Get("workInProgress"), "False");
  EXPECT_FALSE(store_.Get("amountOfCalls"));
  EXPECT_FALSE(store_.Get("pcfdemo.claim"));
  EXPECT_FALSE(triggers_.Current());
  EXPECT_TRUE(triggers_.TryTrigger(Request(11)));
}

TEST_F(TriggerStoreTest, CpuLoadOnExpiresByItself) {
  triggers_.SetCpuLoad(true, 60, std::chrono::seconds(3600));
  CpuLoadState state = triggers_.GetCpuLoad();
  EXPECT_TRUE(state.on);
  EXPECT_EQ(state.target_percent, 60);
  EXPECT_EQ(state.expires_at_s, clock_.NowSeconds() + 3600);
  EXPECT_EQ(store_.Get("CPULoad"), "ON");

  clock_.Advance(3601LL * 1000000);
  EXPECT_FALSE(triggers_.GetCpuLoad().on);
}

TEST_F(TriggerStoreTest, CpuLoadOffWritesTheOriginalsOff) {
  triggers_.SetCpuLoad(true, 60, std::chrono::seconds(60));
  triggers_.SetCpuLoad(false, 0, std::chrono::seconds(0));
  EXPECT_EQ(store_.Get("CPULoad"), "OFF");
  EXPECT_FALSE(triggers_.GetCpuLoad().on);
}

TEST_F(TriggerStoreTest, AnOnOfTheOriginalBurnsFlatOut) {
  store_.Set("CPULoad", "ON");
  CpuLoadState state = triggers_.GetCpuLoad();
  EXPECT_TRUE(state.on);
  EXPECT_EQ(state.target_percent, 100);
}

TEST_F(TriggerStoreTest, BurnersAreListedWhileTheirHeartbeatLives) {
  triggers_.ReportBurner({"w1", 59.5, 2}, std::chrono::seconds(5));
  triggers_.ReportBurner({"w2", 61, 1}, std::chrono::seconds(60));
  triggers_.ReportBurner({"w1", 60, 2}, std::chrono::seconds(5));
  std::vector<BurnerReport> burners = triggers_.Burners();
  ASSERT_EQ(burners.size(), 2u);
  EXPECT_EQ(burners[0].worker, "w1");
  EXPECT_DOUBLE_EQ(burners[0].achieved_percent, 60);
  EXPECT_EQ(burners[0].threads, 2);

  clock_.Advance(6 * 1000000);
  burners = triggers_.Burners();
  ASSERT_EQ(burners.size(), 1u);
  EXPECT_EQ(burners[0].worker, "w2");

  triggers_.RemoveBurner("w2");
  EXPECT_TRUE(triggers_.Burners().empty());
}

}  // namespace
}  // namespace pcfdemo
