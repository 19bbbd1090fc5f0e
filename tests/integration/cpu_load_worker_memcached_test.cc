// The CPU load worker against a real memcached that the test starts on loopback: the switch
// as the original demo writes it (text protocol, CPULoad only), pcfdemo's own switch with
// its target and expiry, the heartbeat as other processes read it, and an outage. The
// burner runs on simulated time, so no real CPU is burned.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>

#include "pcfdemo/backend_error.h"
#include "pcfdemo/clock.h"
#include "pcfdemo/cpu_burner.h"
#include "pcfdemo/cpu_load_request.h"
#include "pcfdemo/cpu_load_worker.h"
#include "pcfdemo/memcached_key_value_store.h"
#include "pcfdemo/trigger_store.h"
#include "support/memcached_server.h"
#include "unit/simulated_cpu.h"

namespace pcfdemo::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class CpuLoadWorkerMemcachedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!MemcachedServer::Available()) GTEST_SKIP() << "memcached is not installed";
    server_ = std::make_unique<MemcachedServer>();
    server_->Start();
    MemcachedOptions options;
    options.servers = {server_->address()};
    options.connect_timeout_ms = 300;
    options.poll_timeout_ms = 300;
    options.retry_timeout_s = 1;
    store_ = NewMemcachedKeyValueStore(options);
    triggers_ = std::make_unique<TriggerStore>(store_.get(), &clock_);
  }

  std::unique_ptr<CpuLoadWorker> NewWorker(const std::string& id) {
    CpuLoadWorkerOptions options;
    options.worker_id = id;
    options.threads = 1;
    return std::make_unique<CpuLoadWorker>(triggers_.get(), &clock_, options,
                                           std::make_unique<CpuBurner>(&burner_clock_, &cpu_));
  }

  // The worker's clock: it only moves when told, so expiry is tested without waiting.
  // memcached's own time to live is relative and far longer than any test.
  ManualClock clock_{static_cast<int64_t>(SystemClock()->NowSeconds()) * 1000000};
  SimulatedClock burner_clock_;
  SimulatedCpuTime cpu_{&burner_clock_, 50, 1.0};
  std::unique_ptr<MemcachedServer> server_;
  std::unique_ptr<KeyValueStore> store_;
  std::unique_ptr<TriggerStore> triggers_;
};

TEST_F(CpuLoadWorkerMemcachedTest, TheOriginalDemosSwitchBurnsFlatOutUntilOff) {
  auto worker = NewWorker("cpu-original");
  // What the original web app sends: CPULoad alone, with no target.
  ASSERT_THAT(server_->RawTextCommand("set CPULoad 0 3600 2\r\nON\r\n"), HasSubstr("STORED"));
  worker->Step();
  EXPECT_TRUE(worker->burning());
  EXPECT_EQ(worker->target_percent(), 100);

  // Any client of the memcached sees who burns.
  EXPECT_THAT(server_->RawTextCommand("get pcfdemo.burners\r\n"), HasSubstr("cpu-original"));
  EXPECT_THAT(server_->RawTextCommand("get pcfdemo.burner.cpu-original\r\n"),
              HasSubstr("VALUE pcfdemo.burner.cpu-original"));

  ASSERT_THAT(server_->RawTextCommand("set CPULoad 0 0 3\r\nOFF\r\n"), HasSubstr("STORED"));
  worker->Step();
  EXPECT_FALSE(worker->burning());
  EXPECT_THAT(server_->RawTextCommand("get pcfdemo.burner.cpu-original\r\n"),
              Not(HasSubstr("VALUE")));
  EXPECT_TRUE(triggers_->Burners().empty());
}

TEST_F(CpuLoadWorkerMemcachedTest, FollowsTargetAndExpiryWrittenByAnotherInstance) {
  auto worker = NewWorker("cpu-a");
  auto other = NewWorker("cpu-b");
  // Another web instance sets the switch through its own connection.
  MemcachedOptions options;
  options.servers = {server_->address()};
  std::unique_ptr<KeyValueStore> web_store = NewMemcachedKeyValueStore(options);
  TriggerStore web_triggers(web_store.get(), &clock_);
  SwitchCpuLoadOn(&web_triggers, CpuLoadRequest{35, std::chrono::seconds(120)});

  worker->Step();
  other->Step();
  EXPECT_EQ(worker->target_percent(), 35);
  EXPECT_EQ(web_triggers.Burners().size(), 2u);

  clock_.Advance(121 * 1000000LL);
  worker->Step();
  other->Step();
  EXPECT_FALSE(worker->burning());
  EXPECT_FALSE(other->burning());
  EXPECT_TRUE(web_triggers.Burners().empty());
}

TEST_F(CpuLoadWorkerMemcachedTest, AnOutageStopsTheBurnerAndARestartWithTheSwitchOnResumesIt) {
  auto worker = NewWorker("cpu-outage");
  SwitchCpuLoadOn(triggers_.get(), CpuLoadRequest{50, std::chrono::seconds(600)});
  worker->Step();
  ASSERT_TRUE(worker->burning());

  server_->Stop();
  EXPECT_THROW(worker->Step(), BackendError);
  EXPECT_FALSE(worker->burning());

  // memcached comes back empty: the switch reads OFF, so nothing burns...
  server_->Start();
  bool answered = false;
  for (int attempt = 0; attempt < 50 && !answered; ++attempt) {
    try {
      worker->Step();
      answered = true;
    } catch (const BackendError&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));  // until it reconnects
    }
  }
  ASSERT_TRUE(answered);
  EXPECT_FALSE(worker->burning());

  // ...until someone turns it ON again.
  SwitchCpuLoadOn(triggers_.get(), CpuLoadRequest{50, std::chrono::seconds(600)});
  worker->Step();
  EXPECT_TRUE(worker->burning());
}

}  // namespace
}  // namespace pcfdemo::testing
