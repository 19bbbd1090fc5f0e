// Tests of the CPU load worker against a real TriggerStore on an in-memory store, with the
// burner on simulated time so no real CPU is burned and no test waits for real time.
#include "pcfdemo/cpu_load_worker.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "pcfdemo/backend_error.h"
#include "pcfdemo/cpu_burner.h"
#include "pcfdemo/cpu_load_request.h"
#include "pcfdemo/in_memory_key_value_store.h"
#include "pcfdemo/trigger_store.h"
#include "unit/simulated_cpu.h"

namespace pcfdemo {
namespace {

using std::chrono::seconds;

// An in-memory store that can be taken down, to see what the worker does without one.
class FlakyStore : public KeyValueStore {
 public:
  explicit FlakyStore(Clock* clock) : inner_(clock) {}

  std::optional<std::string> Get(const std::string& key) override {
    Check();
    return inner_.Get(key);
  }
  void Set(const std::string& key, const std::string& value, Ttl ttl) override {
    Check();
    inner_.Set(key, value, ttl);
  }
  bool Add(const std::string& key, const std::string& value, Ttl ttl) override {
    Check();
    return inner_.Add(key, value, ttl);
  }
  bool CompareAndSet(const std::string& key, const std::string& expected, const std::string& value,
                     Ttl ttl) override {
    Check();
    return inner_.CompareAndSet(key, expected, value, ttl);
  }
  bool Remove(const std::string& key) override {
    Check();
    return inner_.Remove(key);
  }
  void Flush() override {
    Check();
    inner_.Flush();
  }
  std::string Describe() const override { return "flaky memory"; }

  std::atomic<bool> down{false};

 private:
  void Check() {
    if (down.load()) throw BackendError("memcached", "connection refused");
  }
  InMemoryKeyValueStore inner_;
};

class CpuLoadWorkerTest : public ::testing::Test {
 protected:
  CpuLoadWorkerTest()
      : store_(&clock_), triggers_(&store_, &clock_), cpu_(&burner_clock_, 50, 1.0) {}

  std::unique_ptr<CpuLoadWorker> NewWorker(const std::string& id = "cpu-worker-1",
                                           int threads = 2) {
    CpuLoadWorkerOptions options;
    options.worker_id = id;
    options.threads = threads;
    options.poll_interval = std::chrono::milliseconds(1000);
    return std::make_unique<CpuLoadWorker>(&triggers_, &clock_, options,
                                           std::make_unique<CpuBurner>(&burner_clock_, &cpu_),
                                           [this](const std::string& line) {
                                             std::lock_guard<std::mutex> lock(log_mu_);
                                             log_.push_back(line);
                                           });
  }

  // The log is written by the thread running Loop and read by the test.
  bool LogMentions(const std::string& text) {
    std::lock_guard<std::mutex> lock(log_mu_);
    for (const std::string& line : log_) {
      if (line.find(text) != std::string::npos) return true;
    }
    return false;
  }

  // The worker's and the store's clock; a separate one runs the burner's threads.
  SimulatedClock clock_;
  SimulatedClock burner_clock_;
  FlakyStore store_;
  TriggerStore triggers_;
  SimulatedCpuTime cpu_;
  std::mutex log_mu_;
  std::vector<std::string> log_;
};

TEST_F(CpuLoadWorkerTest, IdleWhileTheSwitchIsOff) {
  auto worker = NewWorker();
  worker->Step();
  EXPECT_FALSE(worker->burning());
  EXPECT_EQ(worker->achieved_percent(), 0.0);
  EXPECT_TRUE(triggers_.Burners().empty());

  SwitchCpuLoadOff(&triggers_);
  worker->Step();
  EXPECT_FALSE(worker->burning());
  EXPECT_FALSE(LogMentions("CPU load"));
}

TEST_F(CpuLoadWorkerTest, OnStartsTheBurnerAtTheTargetAndReportsAHeartbeat) {
  auto worker = NewWorker("cpu-a", 2);
  SwitchCpuLoadOn(&triggers_, CpuLoadRequest{60, seconds(300)});
  worker->Step();

  EXPECT_TRUE(worker->burning());
  EXPECT_EQ(worker->threads(), 2);
  EXPECT_EQ(worker->target_percent(), 60);
  const std::vector<BurnerReport> burners = triggers_.Burners();
  ASSERT_EQ(burners.size(), 1u);
  EXPECT_EQ(burners[0].worker, "cpu-a");
  EXPECT_EQ(burners[0].threads, 2);
  EXPECT_TRUE(LogMentions("CPU load ON: burning 2 thread(s) at 60%"));
  EXPECT_TRUE(LogMentions("(300 s)"));
}

TEST_F(CpuLoadWorkerTest, HeartbeatCarriesTheAchievedUtilisation) {
  auto worker = NewWorker("cpu-a", 1);
  SwitchCpuLoadOn(&triggers_, CpuLoadRequest{40, seconds(300)});
  worker->Step();
  ASSERT_TRUE(WaitForSimulatedTime(&burner_clock_, burner_clock_.MonotonicMicros(), 5000000));
  worker->Step();

  const std::vector<BurnerReport> burners = triggers_.Burners();
  ASSERT_EQ(burners.size(), 1u);
  EXPECT_NEAR(burners[0].achieved_percent, 40.0, 1.0);
  EXPECT_NEAR(worker->achieved_percent(), 40.0, 1.0);
}

TEST_F(CpuLoadWorkerTest, ANewTargetRetargetsWithoutRestarting) {
  auto worker = NewWorker();
  SwitchCpuLoadOn(&triggers_, CpuLoadRequest{60, seconds(300)});
  worker->Step();
  SwitchCpuLoadOn(&triggers_, CpuLoadRequest{85, seconds(300)});
  worker->Step();
  EXPECT_TRUE(worker->burning());
  EXPECT_EQ(worker->target_percent(), 85);
  EXPECT_TRUE(LogMentions("target changed from 60% to 85%"));
}

TEST_F(CpuLoadWorkerTest, OffStopsTheBurnerAndRemovesTheHeartbeat) {
  auto worker = NewWorker("cpu-a");
  auto other = NewWorker("cpu-b");
  SwitchCpuLoadOn(&triggers_, CpuLoadRequest{50, seconds(300)});
  worker->Step();
  other->Step();
  ASSERT_EQ(triggers_.Burners().size(), 2u);

  SwitchCpuLoadOff(&triggers_);
  worker->Step();
  EXPECT_FALSE(worker->burning());
  EXPECT_EQ(worker->threads(), 0);
  const std::vector<BurnerReport> left = triggers_.Burners();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].worker, "cpu-b");
  EXPECT_TRUE(LogMentions("CPU load OFF: burner stopped"));

  other->Step();
  EXPECT_TRUE(triggers_.Burners().empty());
}

TEST_F(CpuLoadWorkerTest, AnExpiredOnTurnsItselfOff) {
  auto worker = NewWorker();
  SwitchCpuLoadOn(&triggers_, CpuLoadRequest{70, seconds(10)});
  worker->Step();
  ASSERT_TRUE(worker->burning());

  clock_.Advance(9 * 1000000);
  worker->Step();
  EXPECT_TRUE(worker->burning());

  clock_.Advance(2 * 1000000);
  worker->Step();
  EXPECT_FALSE(worker->burning());
  EXPECT_FALSE(triggers_.GetCpuLoad().on);
  EXPECT_TRUE(triggers_.Burners().empty());
  EXPECT_TRUE(LogMentions("CPU load ON expired"));
}

TEST_F(CpuLoadWorkerTest, TheHeartbeatOfAWorkerThatStopsPollingExpires) {
  auto worker = NewWorker("cpu-dead");
  EXPECT_EQ(worker->heartbeat_ttl(), seconds(3));
  SwitchCpuLoadOn(&triggers_, CpuLoadRequest{50, seconds(600)});
  worker->Step();
  ASSERT_EQ(triggers_.Burners().size(), 1u);

  // Polled in time, the heartbeat lives on.
  clock_.Advance(2 * 1000000);
  worker->Step();
  clock_.Advance(2 * 1000000);
  EXPECT_EQ(triggers_.Burners().size(), 1u);

  // The worker hangs: past its time to live the heartbeat is gone.
  clock_.Advance(2 * 1000000);
  EXPECT_TRUE(triggers_.Burners().empty());
}

TEST_F(CpuLoadWorkerTest, HeartbeatLivesThreePollIntervals) {
  CpuLoadWorkerOptions options;
  options.worker_id = "slow";
  options.poll_interval = std::chrono::milliseconds(2500);
  CpuLoadWorker worker(&triggers_, &clock_, options,
                       std::make_unique<CpuBurner>(&burner_clock_, &cpu_));
  EXPECT_EQ(worker.heartbeat_ttl(), seconds(8));
}

TEST_F(CpuLoadWorkerTest, AnUnreadableSwitchStopsTheBurnerUntilTheStoreAnswers) {
  auto worker = NewWorker();
  SwitchCpuLoadOn(&triggers_, CpuLoadRequest{50, seconds(300)});
  worker->Step();
  ASSERT_TRUE(worker->burning());

  store_.down = true;
  EXPECT_THROW(worker->Step(), BackendError);
  EXPECT_FALSE(worker->burning());
  EXPECT_TRUE(LogMentions("cannot read the switch"));

  store_.down = false;
  worker->Step();
  EXPECT_TRUE(worker->burning());
}

TEST_F(CpuLoadWorkerTest, LoopFollowsTheSwitchAndCleansUpWhenStopped) {
  auto worker = NewWorker("cpu-loop");
  std::thread loop([&worker] { worker->Loop(); });
  auto wait_until = [](auto condition) {
    for (int i = 0; i < 10000; ++i) {
      if (condition()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return false;
  };

  SwitchCpuLoadOn(&triggers_, CpuLoadRequest{50, seconds(86400)});
  EXPECT_TRUE(wait_until([&] { return worker->burning(); }));
  EXPECT_TRUE(wait_until([&] { return triggers_.Burners().size() == 1; }));

  SwitchCpuLoadOff(&triggers_);
  EXPECT_TRUE(wait_until([&] { return !worker->burning(); }));
  // The heartbeat is removed right after the burner stops, on the loop's thread.
  EXPECT_TRUE(wait_until([&] { return triggers_.Burners().empty(); }));

  // A store that goes away and comes back is logged once each way.
  store_.down = true;
  EXPECT_TRUE(wait_until([&] { return LogMentions("switch unreadable"); }));
  store_.down = false;
  EXPECT_TRUE(wait_until([&] { return LogMentions("readable again"); }));

  SwitchCpuLoadOn(&triggers_, CpuLoadRequest{50, seconds(86400)});
  EXPECT_TRUE(wait_until([&] { return worker->burning(); }));
  worker->Stop();
  loop.join();
  EXPECT_FALSE(worker->burning());
  EXPECT_TRUE(triggers_.Burners().empty());
}

}  // namespace
}  // namespace pcfdemo
