// The RunRepository contract, run against the in-memory repository and a SQLite file, both
// opened through OpenRunRepository as the programs open them. Also SQLite-only behaviour: the
// file is created with its directory, and a table of the original four-column shape is
// migrated without losing its rows.
#include "support/run_repository_contract.h"

#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "pcfdemo/backend_error.h"
#include "pcfdemo/sql_run_repository.h"

namespace pcfdemo::testing {
namespace {

// A directory under the system's temporary directory, removed with everything in it.
class TemporaryDirectory {
 public:
  TemporaryDirectory() {
    std::string pattern = (std::filesystem::temp_directory_path() / "pcfdemo-sql-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TemporaryDirectory() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

class MemoryStorage : public RunRepositoryStorage {
 public:
  std::unique_ptr<RunRepository> Open(CountInterleaving interleaving) override {
    return OpenRunRepository("memory:", std::move(interleaving));
  }
};

class SqliteStorage : public RunRepositoryStorage {
 public:
  std::unique_ptr<RunRepository> Open(CountInterleaving interleaving) override {
    return OpenRunRepository(url(), std::move(interleaving));
  }
  std::string url() const { return "sqlite://" + (directory_.path() / "runs.db").string(); }

 private:
  TemporaryDirectory directory_;
};

INSTANTIATE_TEST_SUITE_P(
    RunRepositories, RunRepositoryContract,
    ::testing::Values(
        RunRepositoryTarget{"Memory", [] { return std::make_unique<MemoryStorage>(); }, false, {}},
        RunRepositoryTarget{"Sqlite", [] { return std::make_unique<SqliteStorage>(); }, true, {}}),
    RunRepositoryTargetName);

// Runs SQL on a SQLite file directly, as another program would.
void ExecuteSqlite(const std::filesystem::path& file, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  int result = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  std::string message = error != nullptr ? error : "";
  sqlite3_free(error);
  sqlite3_close(db);
  ASSERT_EQ(result, SQLITE_OK) << message;
}

TEST(SqliteRunRepositoryTest, CreatesTheFileAndItsMissingDirectories) {
  TemporaryDirectory directory;
  std::filesystem::path file = directory.path() / "nested" / "deeper" / "runs.db";
  std::unique_ptr<RunRepository> repository = OpenRunRepository("sqlite://" + file.string());
  EXPECT_TRUE(std::filesystem::exists(file));
  EXPECT_EQ(repository->Describe(), "sqlite " + file.string());
}

TEST(SqliteRunRepositoryTest, PathWithSpacesAndQuotesIsOpened) {
  TemporaryDirectory directory;
  std::filesystem::path file = directory.path() / "it's a dir" / "runs db.sqlite";
  std::unique_ptr<RunRepository> repository =
      OpenRunRepository("sqlite://" + directory.path().string() + "/it's%20a%20dir/runs db.sqlite");
  int64_t timestamp = repository->CreateRun(1700000000, 1, Strategy::kAtomic);
  EXPECT_TRUE(repository->CountCall(timestamp, Strategy::kAtomic));
  EXPECT_TRUE(std::filesystem::exists(file));
}

TEST(SqliteRunRepositoryTest, MigratesATableOfTheOriginalShapeKeepingItsRows) {
  TemporaryDirectory directory;
  std::filesystem::path file = directory.path() / "runs.db";
  ExecuteSqlite(file,
                "CREATE TABLE request_recorder (ID INTEGER PRIMARY KEY AUTOINCREMENT, "
                "timestamp INT, current_request_count INT, max_possible_count INT);"
                "INSERT INTO request_recorder (timestamp, current_request_count, "
                "max_possible_count) VALUES (1500000000, 97, 100);");

  std::unique_ptr<RunRepository> repository = OpenRunRepository("sqlite://" + file.string());
  std::optional<pcfdemo::Run> old = repository->GetRun(1500000000);
  ASSERT_TRUE(old.has_value());
  EXPECT_EQ(old->current_request_count, 97);
  EXPECT_EQ(old->max_possible_count, 100);
  EXPECT_EQ(old->strategy, Strategy::kReadModifyWrite);
  EXPECT_EQ(old->status, RunStatus::kFinished);
  EXPECT_EQ(old->started_at_ms, 1500000000LL * 1000);
  EXPECT_TRUE(old->instances.empty());

  // New runs live beside the old one, and the old one's timestamp stays taken.
  EXPECT_EQ(repository->CreateRun(1500000000, 5, Strategy::kAtomic), 1500000001);
  EXPECT_EQ(repository->CountRuns(), 2);
}

TEST(SqliteRunRepositoryTest, OldTableWithDuplicateTimestampsStillOpensWithEveryRow) {
  TemporaryDirectory directory;
  std::filesystem::path file = directory.path() / "runs.db";
  ExecuteSqlite(file,
                "CREATE TABLE request_recorder (ID INTEGER PRIMARY KEY AUTOINCREMENT, "
                "timestamp INT, current_request_count INT, max_possible_count INT);"
                "INSERT INTO request_recorder (timestamp, current_request_count, "
                "max_possible_count) VALUES (1500000000, 1, 10), (1500000000, 2, 20);");

  std::unique_ptr<RunRepository> repository = OpenRunRepository("sqlite://" + file.string());
  EXPECT_EQ(repository->CountRuns(), 2);
  // The newest row with that timestamp answers.
  EXPECT_EQ(repository->GetRun(1500000000)->max_possible_count, 20);
}

TEST(SqliteRunRepositoryTest, UnopenableFileIsABackendError) {
  TemporaryDirectory directory;
  std::filesystem::path blocker = directory.path() / "file";
  ExecuteSqlite(blocker, "CREATE TABLE t (x INT)");
  // A path below a regular file cannot be created.
  try {
    OpenRunRepository("sqlite://" + (blocker / "runs.db").string());
    FAIL() << "opened a database below a regular file";
  } catch (const BackendError& e) {
    EXPECT_EQ(e.backend(), "sqlite");
  }
}

TEST(OpenRunRepositoryTest, MalformedUrlIsABackendErrorWithoutThePassword) {
  for (const std::string url :
       {"mysql://pcf:Sup3rSecret@:3306/db", "mysql://pcf:Sup3rSecret@host:99999/db",
        "mysql://pcf:Sup3rSecret@host:3306/", "mysql://pcf:Sup3rSecret%zz@host/db",
        "postgres://pcf:Sup3rSecret@host/db"}) {
    try {
      OpenRunRepository(url);
      FAIL() << "accepted " << RedactDatabaseUrl(url);
    } catch (const BackendError& e) {
      EXPECT_EQ(std::string(e.what()).find("Sup3rSecret"), std::string::npos) << e.what();
    }
  }
}

TEST(OpenRunRepositoryTest, UnreachableMySqlIsABackendErrorWithoutThePassword) {
  // Port 1 on loopback: nothing listens there, the connection is refused at once.
  try {
    OpenRunRepository("mysql://pcf:Sup3rSecret@127.0.0.1:1/pcfdemo");
    FAIL() << "connected to nothing";
  } catch (const BackendError& e) {
    EXPECT_EQ(e.backend(), "mysql");
    EXPECT_EQ(std::string(e.what()).find("Sup3rSecret"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace pcfdemo::testing
