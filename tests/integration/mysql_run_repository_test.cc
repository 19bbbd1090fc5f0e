// The MySQL run repository against a real MariaDB server started by the test: the shared
// RunRepository contract, then what only a server shows: the migration of a table the
// original demo created, counts past 2^31, credentials kept out of errors, and recovery when
// the server restarts in the middle of a stream of counts.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "pcfdemo/backend_error.h"
#include "pcfdemo/sql_run_repository.h"
#include "support/mariadb_server.h"
#include "support/run_repository_contract.h"

namespace pcfdemo::testing {
namespace {

using std::chrono::steady_clock;

// One database on the shared server per test, dropped afterwards.
class MariaDbStorage : public RunRepositoryStorage {
 public:
  MariaDbStorage() : server_(MariaDbServer::Shared()), database_(server_.CreateDatabase()) {}

  ~MariaDbStorage() override {
    try {
      if (server_.running()) server_.Execute("DROP DATABASE IF EXISTS `" + database_ + "`");
    } catch (const std::exception&) {
      // Left for the server's temporary directory to take away.
    }
  }

  std::unique_ptr<RunRepository> Open(CountInterleaving interleaving) override {
    return OpenRunRepository(server_.url(database_), std::move(interleaving));
  }

 private:
  MariaDbServer& server_;
  std::string database_;
};

RunRepositoryTarget MariaDbTarget() {
  RunRepositoryTarget target;
  target.name = "MariaDb";
  target.make = [] { return std::make_unique<MariaDbStorage>(); };
  target.durable = true;
  target.unavailable = [] { return MariaDbServer::Unavailable(); };
  return target;
}

INSTANTIATE_TEST_SUITE_P(MySql, RunRepositoryContract, ::testing::Values(MariaDbTarget()),
                         RunRepositoryTargetName);

class MySqlRunRepositoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string unavailable = MariaDbServer::Unavailable();
    if (!unavailable.empty()) GTEST_SKIP() << unavailable;
    server_ = &MariaDbServer::Shared();
    database_ = server_->CreateDatabase();
  }

  void TearDown() override {
    if (server_ == nullptr || database_.empty()) return;
    try {
      server_->Start();  // in case a test stopped it and failed before starting it again
      server_->Execute("DROP DATABASE IF EXISTS `" + database_ + "`");
    } catch (const std::exception&) {
    }
  }

  std::unique_ptr<RunRepository> Open() { return OpenRunRepository(server_->url(database_)); }

  // DATA_TYPE of a request_recorder column, e.g. "bigint".
  std::string ColumnType(const std::string& column) {
    std::string type = server_->Execute(
        "SELECT DATA_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '" + database_ +
        "' AND TABLE_NAME = 'request_recorder' AND COLUMN_NAME = '" + column + "'");
    return type.substr(0, type.find('\n'));
  }

  MariaDbServer* server_ = nullptr;
  std::string database_;
};

TEST_F(MySqlRunRepositoryTest, NewTableHasTheOriginalColumnsWithWideCounts) {
  std::unique_ptr<RunRepository> repository = Open();
  EXPECT_EQ(ColumnType("ID"), "int");
  EXPECT_EQ(ColumnType("timestamp"), "int");
  EXPECT_EQ(ColumnType("current_request_count"), "bigint");
  EXPECT_EQ(ColumnType("max_possible_count"), "bigint");
  for (const char* column :
       {"strategy", "status", "succeeded_calls", "failed_calls", "instances", "latency_p50_ms",
        "latency_p95_ms", "latency_p99_ms", "started_at_ms", "finished_at_ms"}) {
    EXPECT_NE(ColumnType(column), "") << column;
  }
  EXPECT_EQ(repository->Describe(),
            "mysql 127.0.0.1:" + std::to_string(server_->port()) + "/" + database_);
}

TEST_F(MySqlRunRepositoryTest, MigratesTableOfTheOriginalShapeKeepingItsRows) {
  // The table as the original demo created it, and rows as it wrote them: the worker
  // inserted the run, receivers read the count and wrote it back plus one.
  server_->Execute(
      "CREATE TABLE request_recorder (ID INT NOT NULL AUTO_INCREMENT PRIMARY KEY, "
      "timestamp INT, current_request_count INT, max_possible_count INT);"
      "INSERT INTO request_recorder (timestamp, current_request_count, max_possible_count) "
      "VALUES (1500000000, 0, 100);"
      "UPDATE request_recorder SET current_request_count = 97 WHERE timestamp = 1500000000;"
      "INSERT INTO request_recorder (timestamp, current_request_count, max_possible_count) "
      "VALUES (1500000100, 2000000000, 2100000000);",
      database_);

  // Two processes starting at once both migrate; neither fails.
  std::vector<std::unique_ptr<RunRepository>> opened(2);
  std::vector<std::string> errors(2);
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i) {
    threads.emplace_back([&, i] {
      try {
        opened[i] = Open();
      } catch (const std::exception& e) {
        errors[i] = e.what();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  ASSERT_EQ(errors[0], "");
  ASSERT_EQ(errors[1], "");
  RunRepository& repository = *opened[0];

  EXPECT_EQ(ColumnType("current_request_count"), "bigint");
  EXPECT_EQ(ColumnType("max_possible_count"), "bigint");
  EXPECT_EQ(repository.CountRuns(), 2);

  std::optional<pcfdemo::Run> old = repository.GetRun(1500000000);
  ASSERT_TRUE(old.has_value());
  EXPECT_EQ(old->current_request_count, 97);
  EXPECT_EQ(old->max_possible_count, 100);
  EXPECT_EQ(old->strategy, Strategy::kReadModifyWrite);
  EXPECT_EQ(old->status, RunStatus::kFinished);
  EXPECT_EQ(old->started_at_ms, 1500000000LL * 1000);
  EXPECT_EQ(old->finished_at_ms, 0);
  EXPECT_TRUE(old->instances.empty());
  EXPECT_EQ(repository.GetRun(1500000100)->current_request_count, 2000000000);

  // The migrated table works like a new one: old runs count on, new runs keep apart.
  EXPECT_TRUE(repository.CountCall(1500000000, Strategy::kAtomic));
  EXPECT_EQ(repository.GetRun(1500000000)->current_request_count, 98);
  EXPECT_EQ(repository.CreateRun(1500000000, 5, Strategy::kOptimistic), 1500000001);
  EXPECT_EQ(repository.ListRuns(1, 0).front().timestamp, 1500000100);

  // Migrating again changes nothing.
  repository.EnsureSchema();
  EXPECT_EQ(repository.CountRuns(), 3);
  EXPECT_EQ(repository.GetRun(1500000000)->current_request_count, 98);
}

// 1024 instance names of 200 characters are about 210 KB of JSON: more than TEXT holds.
RunOutcome OutcomeOverManyInstances() {
  RunOutcome outcome;
  outcome.succeeded_calls = 1024;
  for (int i = 0; i < 1024; ++i) {
    std::string name = std::to_string(i) + "/";
    outcome.instances[name + std::string(200 - name.size(), 'i')] = 1;
  }
  return outcome;
}

TEST_F(MySqlRunRepositoryTest, FinishesARunAnsweredBy1024LongInstanceNames) {
  std::unique_ptr<RunRepository> repository = Open();
  EXPECT_EQ(ColumnType("instances"), "mediumtext");
  int64_t timestamp = repository->CreateRun(1700000000, 1024, Strategy::kAtomic);
  RunOutcome outcome = OutcomeOverManyInstances();
  ASSERT_TRUE(repository->FinishRun(timestamp, outcome, 1700000001000));
  std::optional<pcfdemo::Run> run = repository->GetRun(timestamp);
  ASSERT_TRUE(run.has_value());
  EXPECT_EQ(run->instances, outcome.instances);
}

// A table made by a version whose instances column was TEXT is widened on open.
TEST_F(MySqlRunRepositoryTest, WidensATextInstancesColumn) {
  Open();
  server_->Execute("ALTER TABLE request_recorder MODIFY COLUMN instances TEXT NULL", database_);
  ASSERT_EQ(ColumnType("instances"), "text");
  std::unique_ptr<RunRepository> repository = Open();
  EXPECT_EQ(ColumnType("instances"), "mediumtext");
  int64_t timestamp = repository->CreateRun(1700000000, 1024, Strategy::kAtomic);
  RunOutcome outcome = OutcomeOverManyInstances();
  ASSERT_TRUE(repository->FinishRun(timestamp, outcome, 1700000001000));
  EXPECT_EQ(repository->GetRun(timestamp)->instances.size(), 1024u);
}

TEST_F(MySqlRunRepositoryTest, CountsDoNotWrapPastTwoToTheThirtyOne) {
  std::unique_ptr<RunRepository> repository = Open();
  int64_t start = 1700000000;
  for (Strategy strategy : kAllStrategies) {
    SCOPED_TRACE(std::string(StrategyName(strategy)));
    int64_t timestamp = repository->CreateRun(start++, 3000000000LL, strategy);
    server_->Execute(
        "UPDATE request_recorder SET current_request_count = 2147483647 "
        "WHERE timestamp = " +
            std::to_string(timestamp),
        database_);
    ASSERT_TRUE(repository->CountCall(timestamp, strategy));
    std::optional<pcfdemo::Run> run = repository->GetRun(timestamp);
    ASSERT_TRUE(run.has_value());
    EXPECT_EQ(run->current_request_count, 2147483648LL);
    EXPECT_EQ(run->max_possible_count, 3000000000LL);
  }
}

TEST_F(MySqlRunRepositoryTest, PasswordNeverAppearsInErrorsOrDescriptions) {
  const std::string encoded_password =
      server_->url(database_).substr(std::string("mysql://pcfdemo:").size());
  auto expect_no_secret = [&](const std::string& text) {
    EXPECT_EQ(text.find(MariaDbServer::kPassword), std::string::npos) << text;
    EXPECT_EQ(text.find("s3cr3t"), std::string::npos) << text;
    EXPECT_EQ(text.find("Wr0ngS3cret"), std::string::npos) << text;
  };

  // Wrong password: refused.
  try {
    OpenRunRepository("mysql://pcfdemo:Wr0ngS3cret@127.0.0.1:" + std::to_string(server_->port()) +
                      "/" + database_);
    ADD_FAILURE() << "a wrong password was accepted";
  } catch (const BackendError& e) {
    EXPECT_EQ(e.backend(), "mysql");
    expect_no_secret(e.what());
  }

  // Right password, missing database: the server's message names the user, never the
  // password.
  std::string url = server_->url("no_such_database");
  try {
    OpenRunRepository(url);
    ADD_FAILURE() << "opened a database that does not exist";
  } catch (const BackendError& e) {
    expect_no_secret(e.what());
  }

  expect_no_secret(Open()->Describe());
  expect_no_secret(RedactDatabaseUrl(server_->url(database_)));
}

TEST_F(MySqlRunRepositoryTest, RecoversWhenTheServerRestartsDuringCounts) {
  std::unique_ptr<RunRepository> repository = Open();
  int64_t timestamp = repository->CreateRun(1700000000, 1000000, Strategy::kAtomic);

  constexpr int64_t kMaxAttempts = 200000;
  std::atomic<bool> stop{false};
  std::atomic<int64_t> attempts{0};
  std::atomic<int64_t> counted{0};
  std::atomic<int64_t> failed{0};
  std::atomic<bool> secret_leaked{false};
  std::thread counter([&] {
    while (!stop && attempts < kMaxAttempts) {
      ++attempts;
      try {
        if (repository->CountCall(timestamp, Strategy::kAtomic)) ++counted;
      } catch (const BackendError& e) {
        ++failed;
        if (std::string(e.what()).find("s3cr3t") != std::string::npos) secret_leaked = true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
  });

  // Waits up to `limit` for `done`, polling; true if it came true.
  auto wait_for = [](std::chrono::seconds limit, auto done) {
    auto deadline = steady_clock::now() + limit;
    while (steady_clock::now() < deadline) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return done();
  };

  ASSERT_TRUE(wait_for(std::chrono::seconds(10), [&] { return counted >= 100; }));
  int64_t counted_before_stop = counted;
  server_->Stop();
  int64_t failed_before_start = 0;
  EXPECT_TRUE(wait_for(std::chrono::seconds(5), [&] { return failed >= 5; }))
      << "the stream of counts never noticed the server was down";
  failed_before_start = failed;
  server_->Start();

  auto restarted = steady_clock::now();
  int64_t counted_at_restart = counted;
  bool recovered = wait_for(std::chrono::seconds(10), [&] { return counted > counted_at_restart; });
  auto recovery = steady_clock::now() - restarted;
  bool kept_counting =
      wait_for(std::chrono::seconds(10), [&] { return counted >= counted_at_restart + 100; });
  stop = true;
  counter.join();

  EXPECT_TRUE(recovered) << "no count succeeded within 10 s of the restart";
  EXPECT_LT(recovery, std::chrono::seconds(5));
  EXPECT_TRUE(kept_counting);
  EXPECT_FALSE(secret_leaked);
  EXPECT_GT(failed_before_start, 0);

  // Nothing counted before the restart is lost, nothing is counted twice: every call that
  // reported success is in the row, and at most the ones whose answer was lost come on top.
  int64_t count = repository->GetRun(timestamp)->current_request_count;
  EXPECT_GE(count, counted_before_stop);
  EXPECT_GE(count, counted.load());
  EXPECT_LE(count, attempts.load());
  std::cout << "counted " << counted << " of " << attempts << " attempts, " << failed
            << " failed while the server was away; row holds " << count << "; recovered in "
            << std::chrono::duration_cast<std::chrono::milliseconds>(recovery).count() << " ms\n";
}

}  // namespace
}  // namespace pcfdemo::testing
