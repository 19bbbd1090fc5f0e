// The memcached KeyValueStore against real memcached processes that the tests start on
// loopback: the shared contract, outages and restarts, SASL, several servers, and the wire
// format the original demo's clients read and write.
#include "pcfdemo/memcached_key_value_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include "pcfdemo/backend_error.h"
#include "support/key_value_store_contract.h"
#include "support/memcached_server.h"

namespace pcfdemo::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using Clock = std::chrono::steady_clock;

MemcachedOptions OptionsFor(const std::vector<const MemcachedServer*>& servers) {
  MemcachedOptions options;
  for (const MemcachedServer* server : servers) options.servers.push_back(server->address());
  options.connect_timeout_ms = 300;
  options.poll_timeout_ms = 300;
  options.retry_timeout_s = 1;
  return options;
}

// One server for the whole contract suite, started on first use and killed at exit.
MemcachedServer* SharedServer() {
  static std::unique_ptr<MemcachedServer> server = [] {
    std::unique_ptr<MemcachedServer> started;
    if (MemcachedServer::Available()) {
      started = std::make_unique<MemcachedServer>();
      started->Start();
    }
    return started;
  }();
  return server.get();
}

KeyValueStoreTarget MemcachedTarget() {
  return KeyValueStoreTarget{
      "Memcached",
      []() -> std::unique_ptr<KeyValueStore> {
        MemcachedServer* server = SharedServer();
        if (server == nullptr) return nullptr;
        std::unique_ptr<KeyValueStore> store = NewMemcachedKeyValueStore(OptionsFor({server}));
        store->Flush();
        return store;
      },
      // memcached's clock ticks in whole seconds: expiry can only be observed by waiting.
      [](std::chrono::seconds duration) { std::this_thread::sleep_for(duration); }};
}

INSTANTIATE_TEST_SUITE_P(MemcachedKeyValueStore, KeyValueStoreContract,
                         ::testing::Values(MemcachedTarget()), TargetName);

class MemcachedKeyValueStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!MemcachedServer::Available()) GTEST_SKIP() << "memcached is not installed";
    server_ = std::make_unique<MemcachedServer>();
    server_->Start();
    store_ = NewMemcachedKeyValueStore(OptionsFor({server_.get()}));
  }

  // Retries `operation` until it stops throwing BackendError; returns how long that took.
  // Gives up after `limit` (returns at least `limit`).
  template <typename Operation>
  Clock::duration TimeUntilItWorks(Operation operation, Clock::duration limit) {
    Clock::time_point start = Clock::now();
    for (int attempt = 0; attempt < 100000 && Clock::now() - start < limit; ++attempt) {
      try {
        operation();
        return Clock::now() - start;
      } catch (const BackendError&) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
    return limit;
  }

  std::unique_ptr<MemcachedServer> server_;
  std::unique_ptr<KeyValueStore> store_;
};

TEST_F(MemcachedKeyValueStoreTest, StoppedServerMakesEveryOperationThrowNotReadAsAbsent) {
  store_->Set("workInProgress", "True");
  server_->Stop();

  EXPECT_THROW(store_->Get("workInProgress"), BackendError);
  EXPECT_THROW(store_->Get("never-set"), BackendError);
  EXPECT_THROW(store_->Set("k", "v"), BackendError);
  EXPECT_THROW(store_->Add("k", "v"), BackendError);
  EXPECT_THROW(store_->CompareAndSet("k", "v", "w"), BackendError);
  EXPECT_THROW(store_->Remove("k"), BackendError);
  EXPECT_THROW(store_->Flush(), BackendError);
  try {
    store_->Get("workInProgress");
    ADD_FAILURE() << "Get did not throw";
  } catch (const BackendError& e) {
    EXPECT_EQ(e.backend(), "memcached");
  }
}

TEST_F(MemcachedKeyValueStoreTest, PausedServerTimesOutAndLaterAnswersAreNotMixedUp) {
  store_->Set("a", "value-a");
  store_->Set("b", "value-b");
  server_->Pause();
  Clock::time_point start = Clock::now();
  EXPECT_THROW(store_->Get("a"), BackendError);
  // Bounded by the poll timeout (300 ms), with slack for a loaded machine.
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(3));
  server_->Resume();

  // The reply to the timed-out request must never be taken as the answer to a later one.
  Clock::duration recovery = TimeUntilItWorks([&] { store_->Get("b"); }, std::chrono::seconds(5));
  EXPECT_LT(recovery, std::chrono::seconds(3));
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(store_->Get("b"), "value-b");
    EXPECT_EQ(store_->Get("a"), "value-a");
  }
}

TEST_F(MemcachedKeyValueStoreTest, RecoversWithinTwoSecondsAfterARestartMidStream) {
  constexpr int kOperationsBefore = 50;
  for (int i = 0; i < kOperationsBefore; ++i) {
    store_->Set("amountOfCalls", std::to_string(i));
    ASSERT_EQ(store_->Get("amountOfCalls"), std::to_string(i));
  }

  // A stream of operations while the server is down: each one fails loudly.
  server_->Stop();
  int failures = 0;
  for (int i = 0; i < 20; ++i) {
    try {
      std::optional<std::string> value = store_->Get("amountOfCalls");
      ADD_FAILURE() << "Get answered while memcached was down: "
                    << (value ? *value : std::string("absent"));
    } catch (const BackendError&) {
      ++failures;
    }
    try {
      store_->Set("amountOfCalls", "1");
      ADD_FAILURE() << "Set succeeded while memcached was down";
    } catch (const BackendError&) {
      ++failures;
    }
  }
  EXPECT_EQ(failures, 40);

  server_->Start();  // same port, empty, as after a real restart
  Clock::duration recovery =
      TimeUntilItWorks([&] { store_->Set("amountOfCalls", "7"); }, std::chrono::seconds(10));
  RecordProperty(
      "recovery_ms",
      static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(recovery).count()));
  EXPECT_LE(recovery, std::chrono::milliseconds(2500));
  EXPECT_EQ(store_->Get("amountOfCalls"), "7");
  EXPECT_TRUE(store_->Add("workInProgress", "True"));
}

TEST_F(MemcachedKeyValueStoreTest, EveryThreadRecoversAfterARestartAndNoneReadsWrongValues) {
  constexpr int kThreads = 4;
  constexpr int kMaxIterations = 200000;
  // Bumped before the server stops and before it starts: a thread whose Set and Get saw the
  // same epoch talked to one server process, so its Get must return what its Set wrote.
  std::atomic<int> epoch{0};
  std::atomic<bool> restarted{false};
  std::atomic<bool> done{false};
  std::atomic<int> wrong_answers{0};
  std::atomic<int> backend_errors{0};
  std::atomic<int> other_errors{0};
  std::vector<std::atomic<int64_t>> recovered_after_ms(kThreads);
  for (auto& ms : recovered_after_ms) ms.store(-1);
  std::atomic<int64_t> restart_micros{0};
  auto now_micros = [] {
    return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now().time_since_epoch())
        .count();
  };

  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string key = "stream-" + std::to_string(t);
      for (int i = 0; i < kMaxIterations && !done.load(); ++i) {
        int before = epoch.load();
        try {
          store_->Set(key, std::to_string(i));
          std::optional<std::string> value = store_->Get(key);
          if (epoch.load() == before && value != std::to_string(i)) wrong_answers.fetch_add(1);
          if (restarted.load() && recovered_after_ms[t].load() < 0) {
            recovered_after_ms[t].store((now_micros() - restart_micros.load()) / 1000);
          }
        } catch (const BackendError&) {
          backend_errors.fetch_add(1);
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
        } catch (...) {
          other_errors.fetch_add(1);
        }
      }
    });
  }

  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  epoch.fetch_add(1);
  server_->Stop();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // an outage, not a measurement
  int errors_while_down = backend_errors.load();
  epoch.fetch_add(1);
  restart_micros.store(now_micros());
  server_->Start();
  restarted.store(true);

  Clock::time_point wait_start = Clock::now();
  auto all_recovered = [&] {
    for (auto& ms : recovered_after_ms) {
      if (ms.load() < 0) return false;
    }
    return true;
  };
  for (int i = 0;
       i < 1000 && !all_recovered() && Clock::now() - wait_start < std::chrono::seconds(10); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  done.store(true);
  for (std::thread& thread : threads) thread.join();

  EXPECT_GT(errors_while_down, 0);
  EXPECT_EQ(wrong_answers.load(), 0);
  EXPECT_EQ(other_errors.load(), 0);
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_GE(recovered_after_ms[t].load(), 0) << "thread " << t << " never recovered";
    EXPECT_LE(recovered_after_ms[t].load(), 2500) << "thread " << t;
  }
}

TEST_F(MemcachedKeyValueStoreTest, StoreCreatedBeforeTheServerStartsWorksOnceItIsUp) {
  server_->Stop();
  std::unique_ptr<KeyValueStore> early = NewMemcachedKeyValueStore(OptionsFor({server_.get()}));
  EXPECT_THROW(early->Get("x"), BackendError);
  server_->Start();
  EXPECT_LE(TimeUntilItWorks([&] { early->Set("x", "1"); }, std::chrono::seconds(10)),
            std::chrono::milliseconds(2500));
  EXPECT_EQ(early->Get("x"), "1");
}

TEST_F(MemcachedKeyValueStoreTest, ValuesWrittenByTheOriginalDemoAreReadExactly) {
  // The original demo's clients wrote plain strings, flags 0, over the text protocol.
  EXPECT_EQ(server_->RawTextCommand("set workInProgress 0 0 4\r\nTrue\r\n"), "STORED\r\n");
  EXPECT_EQ(server_->RawTextCommand("set amountOfCalls 0 0 3\r\n500\r\n"), "STORED\r\n");
  const std::string url = "http://demo.example.com/receiver/x";
  EXPECT_EQ(server_->RawTextCommand("set destinationURL 0 0 " + std::to_string(url.size()) +
                                    "\r\n" + url + "\r\n"),
            "STORED\r\n");
  EXPECT_EQ(server_->RawTextCommand("set CPULoad 0 3600 2\r\nON\r\n"), "STORED\r\n");

  EXPECT_EQ(store_->Get("workInProgress"), "True");
  EXPECT_EQ(store_->Get("amountOfCalls"), "500");
  EXPECT_EQ(store_->Get("destinationURL"), url);
  EXPECT_EQ(store_->Get("CPULoad"), "ON");
  EXPECT_FALSE(store_->Add("workInProgress", "True"));
}

TEST_F(MemcachedKeyValueStoreTest, ValuesWrittenByPcfdemoReadAsPlainStringsOverTextProtocol) {
  ASSERT_TRUE(store_->Add("workInProgress", "True"));
  store_->Set("amountOfCalls", "500");
  store_->Set("destinationURL", "http://demo.example.com/receiver");
  store_->Set("CPULoad", "ON", std::chrono::hours(1));

  EXPECT_EQ(server_->RawTextCommand("get workInProgress\r\n"),
            "VALUE workInProgress 0 4\r\nTrue\r\nEND\r\n");
  EXPECT_EQ(server_->RawTextCommand("get amountOfCalls\r\n"),
            "VALUE amountOfCalls 0 3\r\n500\r\nEND\r\n");
  EXPECT_EQ(server_->RawTextCommand("get destinationURL\r\n"),
            "VALUE destinationURL 0 32\r\nhttp://demo.example.com/receiver\r\nEND\r\n");
  EXPECT_EQ(server_->RawTextCommand("get CPULoad\r\n"), "VALUE CPULoad 0 2\r\nON\r\nEND\r\n");

  // And the text protocol's own updates are seen at once.
  EXPECT_EQ(server_->RawTextCommand("set CPULoad 0 0 3\r\nOFF\r\n"), "STORED\r\n");
  EXPECT_EQ(store_->Get("CPULoad"), "OFF");
  EXPECT_EQ(server_->RawTextCommand("delete workInProgress\r\n"), "DELETED\r\n");
  EXPECT_EQ(store_->Get("workInProgress"), std::nullopt);
}

TEST_F(MemcachedKeyValueStoreTest, RejectsKeysTheTextProtocolCannotCarry) {
  EXPECT_THROW(store_->Get("has space"), std::invalid_argument);
  EXPECT_THROW(store_->Set("", "v"), std::invalid_argument);
  EXPECT_THROW(store_->Set(std::string(251, 'k'), "v"), std::invalid_argument);
  store_->Set(std::string(250, 'k'), "v");
  EXPECT_EQ(store_->Get(std::string(250, 'k')), "v");
}

TEST_F(MemcachedKeyValueStoreTest, DescribeNamesTheServers) {
  EXPECT_EQ(store_->Describe(), "memcached " + server_->address());
}

TEST(MemcachedKeyValueStoreOptionsTest, UnusableOptionsThrowBackendError) {
  EXPECT_THROW(NewMemcachedKeyValueStore(MemcachedOptions{}), BackendError);
  MemcachedOptions bad_port;
  bad_port.servers = {"127.0.0.1:notaport"};
  EXPECT_THROW(NewMemcachedKeyValueStore(bad_port), BackendError);
}

TEST(MemcachedSeveralServersTest, KeysSpreadOverServersAndOneOutageOnlyAffectsItsKeys) {
  if (!MemcachedServer::Available()) GTEST_SKIP() << "memcached is not installed";
  MemcachedServer first;
  MemcachedServer second;
  first.Start();
  second.Start();
  std::unique_ptr<KeyValueStore> store = NewMemcachedKeyValueStore(OptionsFor({&first, &second}));
  EXPECT_EQ(store->Describe(), "memcached " + first.address() + "," + second.address());

  constexpr int kKeys = 40;
  for (int i = 0; i < kKeys; ++i) store->Set("key-" + std::to_string(i), std::to_string(i));
  std::vector<int> on_second;
  int on_first = 0;
  for (int i = 0; i < kKeys; ++i) {
    std::string key = "key-" + std::to_string(i);
    bool in_first = first.RawTextCommand("get " + key + "\r\n").rfind("VALUE", 0) == 0;
    bool in_second = second.RawTextCommand("get " + key + "\r\n").rfind("VALUE", 0) == 0;
    EXPECT_NE(in_first, in_second) << key << " must live on exactly one server";
    if (in_first) ++on_first;
    if (in_second) on_second.push_back(i);
  }
  ASSERT_GT(on_first, 0);
  ASSERT_FALSE(on_second.empty());

  first.Stop();
  for (int i = 0; i < kKeys; ++i) {
    std::string key = "key-" + std::to_string(i);
    bool lives_on_second = std::find(on_second.begin(), on_second.end(), i) != on_second.end();
    if (lives_on_second) {
      EXPECT_EQ(store->Get(key), std::to_string(i));
    } else {
      EXPECT_THROW(store->Get(key), BackendError) << key;
    }
  }
}

// --- SASL ---------------------------------------------------------------------------------

constexpr char kUser[] = "pcfdemo";
constexpr char kPassword[] = "Kq7-sasl-secret-pw";

class MemcachedSaslTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!MemcachedServer::Available(/*with_sasl=*/true)) {
      GTEST_SKIP() << "memcached or saslpasswd2 is not installed";
    }
    server_ = std::make_unique<MemcachedServer>(MemcachedServer::Options{kUser, kPassword});
    server_->Start();
  }

  MemcachedOptions Credentials(const std::string& user, const std::string& password) {
    MemcachedOptions options = OptionsFor({server_.get()});
    options.username = user;
    options.password = password;
    return options;
  }

  std::unique_ptr<MemcachedServer> server_;
};

TEST_F(MemcachedSaslTest, RightPasswordWorks) {
  std::unique_ptr<KeyValueStore> store = NewMemcachedKeyValueStore(Credentials(kUser, kPassword));
  store->Set("workInProgress", "True");
  EXPECT_EQ(store->Get("workInProgress"), "True");
  EXPECT_TRUE(store->Add("amountOfCalls", "500"));
  EXPECT_TRUE(store->CompareAndSet("amountOfCalls", "500", "20"));
  EXPECT_EQ(store->Get("amountOfCalls"), "20");
  EXPECT_THAT(store->Describe(), AllOf(Not(HasSubstr(kPassword)), Not(HasSubstr(kUser))));
}

TEST_F(MemcachedSaslTest, WrongPasswordThrowsWithoutRevealingIt) {
  const std::string wrong = "Wr0ng-guess-pw";
  std::unique_ptr<KeyValueStore> store = NewMemcachedKeyValueStore(Credentials(kUser, wrong));
  try {
    store->Get("workInProgress");
    FAIL() << "Get with a wrong password did not throw";
  } catch (const BackendError& e) {
    EXPECT_EQ(e.backend(), "memcached");
    EXPECT_THAT(e.what(), Not(HasSubstr(wrong)));
    EXPECT_THAT(e.what(), Not(HasSubstr(kPassword)));
  }
  EXPECT_THROW(store->Set("k", "v"), BackendError);
  EXPECT_THAT(store->Describe(), Not(HasSubstr(wrong)));
}

TEST_F(MemcachedSaslTest, NoCredentialsAreRefused) {
  std::unique_ptr<KeyValueStore> store = NewMemcachedKeyValueStore(OptionsFor({server_.get()}));
  EXPECT_THROW(store->Set("k", "v"), BackendError);
}

}  // namespace
}  // namespace pcfdemo::testing
