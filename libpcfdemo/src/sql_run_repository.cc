// RunRepository adapters on SOCI: MySQL/MariaDB and SQLite share one implementation; the
// dialects differ only in a few statements (schema inspection, the locking read, the
// beginning of a write transaction) and in how a lost connection is recognised.
//
// Connections live in a soci::connection_pool. A caller leases one for a whole operation, so
// the statements of one count (a read and a write, or a transaction) run on one connection
// and several threads never share a connection.
#include "pcfdemo/sql_run_repository.h"

#include <mysql.h>
#include <soci/connection-pool.h>
#include <soci/mysql/soci-mysql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include "pcfdemo/backend_error.h"
#include "pcfdemo/database_url.h"
#include "pcfdemo/in_memory_run_repository.h"

namespace pcfdemo {
namespace {

enum class Dialect { kMySql, kSqlite };

constexpr std::size_t kMySqlPoolSize = 8;
constexpr std::size_t kSqlitePoolSize = 4;
constexpr int kLeaseTimeoutMs = 30000;
constexpr int kSqliteBusyTimeoutSeconds = 10;
constexpr int kMySqlConnectTimeoutSeconds = 5;
constexpr int kMySqlReadWriteTimeoutSeconds = 60;

// How far past the requested second CreateRun looks for a free timestamp.
constexpr int kMaxCreateAttempts = 1000;
// How many times an optimistic count re-reads after losing its compare-and-set.
constexpr int kMaxOptimisticAttempts = 1000;
// A pooled MySQL connection unused for this long is pinged before use: servers (ClearDB
// in particular) close idle connections, and a count must not be the statement that finds
// out.
constexpr auto kIdleBeforePing = std::chrono::seconds(30);

// MySQL/MariaDB server and client error numbers.
constexpr unsigned kErDupFieldName = 1060;
constexpr unsigned kErDupKeyName = 1061;
constexpr unsigned kErDupEntry = 1062;
constexpr unsigned kErServerShutdown = 1053;
constexpr unsigned kErConnectionKilled = 1927;
constexpr unsigned kErClientInteractionTimeout = 4031;

// Columns the original four-column table lacks, added with defaults that describe a row the
// original wrote: it counted with read-modify-write and its runs are over, so old rows read
// back as finished read-modify-write runs with no worker-side figures (lost updates 0,
// started at their timestamp).
struct AddedColumn {
  const char* name;
  const char* mysql_type;
  const char* sqlite_type;
};
constexpr AddedColumn kAddedColumns[] = {
    {"strategy", "VARCHAR(32) NOT NULL DEFAULT 'read-modify-write'",
     "TEXT NOT NULL DEFAULT 'read-modify-write'"},
    {"status", "VARCHAR(16) NOT NULL DEFAULT 'finished'", "TEXT NOT NULL DEFAULT 'finished'"},
    {"succeeded_calls", "BIGINT NOT NULL DEFAULT 0", "INTEGER NOT NULL DEFAULT 0"},
    {"failed_calls", "BIGINT NOT NULL DEFAULT 0", "INTEGER NOT NULL DEFAULT 0"},
    // MEDIUMTEXT: a run over 1024 instances names them in more than TEXT's 64 KB.
    {"instances", "MEDIUMTEXT NULL", "TEXT NOT NULL DEFAULT '{}'"},
    {"latency_p50_ms", "DOUBLE NOT NULL DEFAULT 0", "REAL NOT NULL DEFAULT 0"},
    {"latency_p95_ms", "DOUBLE NOT NULL DEFAULT 0", "REAL NOT NULL DEFAULT 0"},
    {"latency_p99_ms", "DOUBLE NOT NULL DEFAULT 0", "REAL NOT NULL DEFAULT 0"},
    {"started_at_ms", "BIGINT NOT NULL DEFAULT 0", "INTEGER NOT NULL DEFAULT 0"},
    {"finished_at_ms", "BIGINT NOT NULL DEFAULT 0", "INTEGER NOT NULL DEFAULT 0"},
};

// The original's count columns, INT there; widened so that counts never wrap at 2^31.
constexpr const char* kCountColumns[] = {"current_request_count", "max_possible_count"};

constexpr char kRunColumns[] =
    "COALESCE(`timestamp`, 0), COALESCE(current_request_count, 0), "
    "COALESCE(max_possible_count, 0), COALESCE(strategy, ''), COALESCE(status, ''), "
    "COALESCE(succeeded_calls, 0), COALESCE(failed_calls, 0), COALESCE(instances, ''), "
    "COALESCE(latency_p50_ms, 0), COALESCE(latency_p95_ms, 0), COALESCE(latency_p99_ms, 0), "
    "COALESCE(started_at_ms, 0), COALESCE(finished_at_ms, 0)";

void LogStateChange(const std::string& line) {
  std::clog << "pcfdemo: " << line << std::endl;
}

std::string Lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// A value for a SOCI MySQL connection string: quoted, with quotes and backslashes escaped.
std::string QuoteConnectValue(const std::string& value) {
  std::string quoted = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return quoted + "'";
}

const soci::mysql_soci_error* AsMySqlError(const std::exception& e) {
  return dynamic_cast<const soci::mysql_soci_error*>(&e);
}

bool IsMySqlError(const std::exception& e, unsigned number) {
  const soci::mysql_soci_error* mysql_error = AsMySqlError(e);
  return mysql_error != nullptr && mysql_error->err_num_ == number;
}

// True when the error says the connection is gone (server restarted, gone away, killed the
// connection) rather than that the statement was wrong.
bool IsConnectionLost(const std::exception& e) {
  const soci::mysql_soci_error* mysql_error = AsMySqlError(e);
  if (mysql_error == nullptr) return false;
  if (mysql_error->get_error_category() == soci::soci_error::connection_error) return true;
  switch (mysql_error->err_num_) {
    case CR_SERVER_GONE_ERROR:
    case CR_SERVER_LOST:
    case CR_CONNECTION_ERROR:
    case CR_CONN_HOST_ERROR:
    case kErServerShutdown:
    case kErConnectionKilled:
    case kErClientInteractionTimeout:
      return true;
    default:
      return false;
  }
}

bool IsDuplicateKey(const std::exception& e) {
  if (IsMySqlError(e, kErDupEntry)) return true;
  auto* sqlite_error = dynamic_cast<const soci::sqlite3_soci_error*>(&e);
  return sqlite_error != nullptr && (sqlite_error->result() & 0xff) == SQLITE_CONSTRAINT;
}

// One row of request_recorder as read by kRunColumns.
struct RunRow {
  long long timestamp = 0;
  long long current_request_count = 0;
  long long max_possible_count = 0;
  std::string strategy;
  std::string status;
  long long succeeded_calls = 0;
  long long failed_calls = 0;
  std::string instances;
  double p50_ms = 0;
  double p95_ms = 0;
  double p99_ms = 0;
  long long started_at_ms = 0;
  long long finished_at_ms = 0;

  Run ToRun() const {
    Run run;
    run.timestamp = timestamp;
    run.current_request_count = current_request_count;
    run.max_possible_count = max_possible_count;
    run.strategy = ParseStrategy(strategy).value_or(Strategy::kReadModifyWrite);
    run.status = ParseRunStatus(status).value_or(RunStatus::kFinished);
    run.succeeded_calls = succeeded_calls;
    run.failed_calls = failed_calls;
    run.instances = ParseInstances(instances);
    run.latency = LatencySummary{p50_ms, p95_ms, p99_ms};
    run.started_at_ms = started_at_ms != 0 ? started_at_ms : timestamp * 1000;
    run.finished_at_ms = finished_at_ms;
    return run;
  }

  static std::map<std::string, int64_t> ParseInstances(const std::string& text) {
    std::map<std::string, int64_t> instances;
    nlohmann::json json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!json.is_object()) return instances;
    for (auto it = json.begin(); it != json.end(); ++it) {
      if (it.value().is_number_integer()) instances[it.key()] = it.value().get<int64_t>();
    }
    return instances;
  }
};

// Binds the columns of kRunColumns, in order, to `row`.
soci::details::prepare_temp_type& BindRunRow(soci::details::prepare_temp_type& statement,
                                             RunRow& row) {
  return (statement, soci::into(row.timestamp), soci::into(row.current_request_count),
          soci::into(row.max_possible_count), soci::into(row.strategy), soci::into(row.status),
          soci::into(row.succeeded_calls), soci::into(row.failed_calls), soci::into(row.instances),
          soci::into(row.p50_ms), soci::into(row.p95_ms), soci::into(row.p99_ms),
          soci::into(row.started_at_ms), soci::into(row.finished_at_ms));
}

// Executes one data-changing statement and returns the rows it matched. The MySQL backend
// connects with CLIENT_FOUND_ROWS, so an UPDATE that sets a value it already has still
// counts its row.
long long ExecuteUpdate(soci::statement& statement) {
  statement.execute(true);
  return statement.get_affected_rows();
}

// Writes `count` as run `timestamp`'s count, whatever it was; returns the rows matched.
long long WriteCount(soci::session& session, long long timestamp, long long count) {
  soci::statement write =
      (session.prepare << "UPDATE request_recorder SET current_request_count = :count "
                          "WHERE `timestamp` = :timestamp",
       soci::use(count), soci::use(timestamp));
  return ExecuteUpdate(write);
}

// Marks the part of an operation after which a lost connection leaves its effect unknown:
// the statement may have been applied before the answer was lost. Such an operation is not
// retried, so one call is never counted twice.
struct Attempt {
  bool outcome_unknown_if_lost = false;
};

class SqlRunRepository : public RunRepository {
 public:
  SqlRunRepository(DatabaseUrl url, CountInterleaving interleaving);
  ~SqlRunRepository() override;

  void EnsureSchema() override;
  int64_t CreateRun(int64_t start_seconds, int64_t calls, Strategy strategy) override;
  bool CountCall(int64_t timestamp, Strategy strategy) override;
  bool FinishRun(int64_t timestamp, const RunOutcome& outcome, int64_t finished_at_ms) override;
  std::optional<Run> GetRun(int64_t timestamp) override;
  std::vector<Run> ListRuns(int limit, int offset) override;
  int64_t CountRuns() override;
  std::string Describe() const override { return url_.Describe(); }

 private:
  // A pooled connection held for one operation; given back when destroyed.
  class Lease;

  // Per-connection bookkeeping, touched only by the thread that leases the connection.
  struct Slot {
    bool opened = false;       // connections open on first use
    bool broken = false;       // the connection was lost; reconnect before use
    uint64_t losses_seen = 0;  // connection_losses_ when this slot last checked
    std::chrono::steady_clock::time_point last_used;
  };

  const char* backend() const { return dialect_ == Dialect::kMySql ? "mysql" : "sqlite"; }
  std::string ConnectString() const;
  void PrepareBackend();
  void OpenConnection(std::size_t position);
  std::string Scrub(std::string message) const;
  [[noreturn]] void Fail(const std::string& operation, const std::exception& e) const;
  void NoteConnectionLost(const std::exception& e);
  void NoteConnectionBack();

  // Runs `operation(session, attempt)` on a leased connection and translates errors into
  // BackendError. After a lost connection the connection is reopened, and the operation is
  // run once more unless it had reached the point where its effect is unknown.
  template <typename Operation>
  auto Execute(const std::string& what, Operation operation);

  void EnsureMySqlSchema(soci::session& session);
  void EnsureSqliteSchema(soci::session& session);
  bool ReadCount(soci::session& session, long long timestamp, bool lock_row, long long& count);
  bool CountReadModifyWrite(long long timestamp);
  bool CountAtomic(long long timestamp);
  bool CountWithRowLock(long long timestamp);
  bool CountOptimistic(long long timestamp);

  const DatabaseUrl url_;
  const Dialect dialect_;
  const CountInterleaving interleaving_;
  const std::size_t pool_size_;
  soci::connection_pool pool_;
  std::vector<Slot> slots_;
  std::atomic<uint64_t> connection_losses_{0};
  std::atomic<bool> connection_lost_{false};  // for one log line per loss and recovery
};

class SqlRunRepository::Lease {
 public:
  explicit Lease(SqlRunRepository& repository) : repository_(repository) {
    if (!repository_.pool_.try_lease(position_, kLeaseTimeoutMs)) {
      throw BackendError(repository_.backend(), "no free connection within " +
                                                    std::to_string(kLeaseTimeoutMs / 1000) + " s");
    }
    try {
      Revive();
    } catch (...) {
      repository_.pool_.give_back(position_);
      throw;
    }
  }

  ~Lease() {
    repository_.slots_[position_].last_used = std::chrono::steady_clock::now();
    repository_.pool_.give_back(position_);
  }

  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;

  soci::session& session() { return repository_.pool_.at(position_); }

  void MarkBroken() { repository_.slots_[position_].broken = true; }

 private:
  // Makes sure the connection is usable: reopens it when it was lost, and pings it first
  // when another connection saw a loss since this one was last checked, or when it has been
  // idle long enough for the server to have closed it.
  void Revive() {
    Slot& slot = repository_.slots_[position_];
    if (!slot.opened) {
      try {
        repository_.OpenConnection(position_);
      } catch (const std::exception& e) {
        repository_.Fail("opening a connection", e);
      }
      slot.opened = true;
      slot.losses_seen = repository_.connection_losses_.load();
      return;
    }
    if (repository_.dialect_ != Dialect::kMySql) return;
    uint64_t losses = repository_.connection_losses_.load();
    bool idle = std::chrono::steady_clock::now() - slot.last_used > kIdleBeforePing;
    if (!slot.broken && (slot.losses_seen != losses || idle)) {
      slot.losses_seen = losses;
      if (!session().is_connected()) slot.broken = true;
    }
    if (!slot.broken) return;

    try {
      session().reconnect();
    } catch (const std::exception& e) {
      repository_.Fail("reconnecting", e);
    }
    slot.broken = false;
    slot.losses_seen = repository_.connection_losses_.load();
    repository_.NoteConnectionBack();
  }

  SqlRunRepository& repository_;
  std::size_t position_ = 0;
};

SqlRunRepository::SqlRunRepository(DatabaseUrl url, CountInterleaving interleaving)
    : url_(std::move(url)),
      dialect_(url_.kind == DatabaseUrl::Kind::kMySql ? Dialect::kMySql : Dialect::kSqlite),
      interleaving_(std::move(interleaving)),
      pool_size_(url_.pool_size > 0            ? static_cast<std::size_t>(url_.pool_size)
                 : dialect_ == Dialect::kMySql ? kMySqlPoolSize
                                               : kSqlitePoolSize),
      pool_(pool_size_),
      slots_(pool_size_) {
  PrepareBackend();
  // Opening one connection now reports bad credentials or an unreachable server at once;
  // the others open when first needed, so a server with a small connection limit (as on
  // ClearDB's smaller plans) only sees the connections the load needs.
  try {
    OpenConnection(0);
  } catch (const std::exception& e) {
    Fail("opening " + url_.Describe(), e);
  }
  slots_[0].opened = true;
}

SqlRunRepository::~SqlRunRepository() = default;

std::string SqlRunRepository::ConnectString() const {
  if (dialect_ == Dialect::kSqlite) {
    // SOCI's SQLite backend takes a value in double quotes, with no escapes.
    return "db=\"" + url_.path + "\" timeout=" + std::to_string(kSqliteBusyTimeoutSeconds);
  }
  std::string connect = "host=" + QuoteConnectValue(url_.host) +
                        " port=" + std::to_string(url_.port) +
                        " db=" + QuoteConnectValue(url_.database) + " charset=utf8mb4" +
                        " connect_timeout=" + std::to_string(kMySqlConnectTimeoutSeconds) +
                        " read_timeout=" + std::to_string(kMySqlReadWriteTimeoutSeconds) +
                        " write_timeout=" + std::to_string(kMySqlReadWriteTimeoutSeconds);
  if (!url_.user.empty()) connect += " user=" + QuoteConnectValue(url_.user);
  if (!url_.password.empty()) connect += " password=" + QuoteConnectValue(url_.password);
  return connect;
}

void SqlRunRepository::PrepareBackend() {
  if (dialect_ == Dialect::kMySql) {
    // The client library's global initialisation is not thread-safe; do it once, before
    // any thread opens a connection.
    static std::once_flag mysql_library_initialised;
    static int mysql_library_result = 0;
    std::call_once(mysql_library_initialised,
                   [] { mysql_library_result = mysql_library_init(0, nullptr, nullptr); });
    if (mysql_library_result != 0) {
      throw BackendError(backend(), "the MySQL client library failed to initialise");
    }
    return;
  }

  if (url_.path.find('"') != std::string::npos) {
    // Limitation: SOCI's SQLite connection string has no escape for a double quote.
    throw BackendError(backend(), "a SQLite path cannot contain a double quote");
  }
  std::filesystem::path parent = std::filesystem::path(url_.path).parent_path();
  std::error_code error;
  if (!parent.empty()) std::filesystem::create_directories(parent, error);
  if (error) {
    throw BackendError(backend(),
                       "cannot create directory " + parent.string() + ": " + error.message());
  }
}

void SqlRunRepository::OpenConnection(std::size_t position) {
  soci::session& session = pool_.at(position);
  if (dialect_ == Dialect::kMySql) {
    session.open(soci::mysql, ConnectString());
    return;
  }
  session.open(soci::sqlite3, ConnectString());
  if (position == 0) {
    // WAL lets readers proceed while one connection writes. The mode is stored in the
    // file, so setting it on the first connection is enough. Switching needs the file to
    // itself and SQLite answers "locked" at once, without its busy timeout, while another
    // process holds it: retry for up to the busy timeout.
    std::string mode;
    constexpr int kAttempts = kSqliteBusyTimeoutSeconds * 20;
    for (int attempt = 1;; ++attempt) {
      try {
        session << "PRAGMA journal_mode=WAL", soci::into(mode);
        break;
      } catch (const soci::soci_error& error) {
        bool locked = std::string(error.what()).find("locked") != std::string::npos;
        if (!locked || attempt == kAttempts) throw;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
  }
  session << "PRAGMA synchronous=NORMAL";
}

std::string SqlRunRepository::Scrub(std::string message) const {
  // The client libraries can echo connection parameters in their messages. Remove the
  // password, raw or as a SOCI connection-string value, where it stands as a whole token:
  // inside a longer word ("demo" in "pcfdemo") hiding it would reveal it.
  auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  for (const std::string& secret : {QuoteConnectValue(url_.password), url_.password}) {
    if (url_.password.empty()) break;
    for (std::string::size_type at = message.find(secret); at != std::string::npos;) {
      std::string::size_type end = at + secret.size();
      if ((at > 0 && alnum(message[at - 1])) || (end < message.size() && alnum(message[end]))) {
        at = message.find(secret, at + 1);
        continue;
      }
      message.replace(at, secret.size(), "***");
      at = message.find(secret, at + 3);
    }
  }
  return message;
}

void SqlRunRepository::Fail(const std::string& operation, const std::exception& e) const {
  std::string reason = e.what();
  // SOCI appends the statement and its parameters; keep the first line, which says why.
  reason = reason.substr(0, reason.find('\n'));
  throw BackendError(backend(), Scrub(operation + ": " + reason));
}

void SqlRunRepository::NoteConnectionLost(const std::exception& e) {
  connection_losses_.fetch_add(1);
  if (!connection_lost_.exchange(true)) {
    std::string reason = e.what();
    LogStateChange(std::string(backend()) + " connection lost (" + url_.Describe() +
                   "): " + Scrub(reason.substr(0, reason.find('\n'))));
  }
}

void SqlRunRepository::NoteConnectionBack() {
  if (connection_lost_.exchange(false)) {
    LogStateChange(std::string(backend()) + " connection back (" + url_.Describe() + ")");
  }
}

template <typename Operation>
auto SqlRunRepository::Execute(const std::string& what, Operation operation) {
  for (int round = 0;; ++round) {
    Lease lease(*this);
    Attempt attempt;
    try {
      return operation(lease.session(), attempt);
    } catch (const BackendError&) {
      throw;
    } catch (const std::exception& e) {
      if (!IsConnectionLost(e)) Fail(what, e);
      lease.MarkBroken();
      NoteConnectionLost(e);
      if (round > 0 || attempt.outcome_unknown_if_lost) Fail(what, e);
    }
  }
}

// A write transaction, rolled back unless committed. On SQLite it begins IMMEDIATE, taking
// the database's write lock up front, which is SQLite's closest equivalent of a locking read.
class WriteTransaction {
 public:
  WriteTransaction(soci::session& session, Dialect dialect) : session_(session) {
    session_ << (dialect == Dialect::kSqlite ? "BEGIN IMMEDIATE" : "START TRANSACTION");
  }

  ~WriteTransaction() {
    if (open_) {
      try {
        session_ << "ROLLBACK";
      } catch (const std::exception&) {
        // The connection is gone; the server rolls the transaction back itself.
      }
    }
  }

  WriteTransaction(const WriteTransaction&) = delete;
  WriteTransaction& operator=(const WriteTransaction&) = delete;

  void Commit() {
    open_ = false;
    session_ << "COMMIT";
  }

 private:
  soci::session& session_;
  bool open_ = true;
};

void SqlRunRepository::EnsureSchema() {
  Execute("ensuring the schema", [this](soci::session& session, Attempt&) {
    if (dialect_ == Dialect::kMySql) {
      EnsureMySqlSchema(session);
    } else {
      EnsureSqliteSchema(session);
    }
    return true;
  });
}

// Every step tolerates a concurrent process taking the same step first, so two processes
// can ensure the schema at once.
void SqlRunRepository::EnsureMySqlSchema(soci::session& session) {
  // A new table is created complete; the steps below then find nothing to do.
  std::string create =
      "CREATE TABLE IF NOT EXISTS request_recorder ("
      "ID INT NOT NULL AUTO_INCREMENT PRIMARY KEY, "
      "`timestamp` INT NOT NULL, "
      "current_request_count BIGINT NOT NULL DEFAULT 0, "
      "max_possible_count BIGINT NOT NULL DEFAULT 0, ";
  for (const AddedColumn& column : kAddedColumns) {
    create += std::string(column.name) + " " + column.mysql_type + ", ";
  }
  session << create + "UNIQUE KEY request_recorder_timestamp (`timestamp`))";
  std::vector<std::string> changes;

  std::map<std::string, std::pair<std::string, bool>> columns;  // name -> (type, nullable)
  {
    std::string name, type, nullable;
    soci::statement columns_query =
        (session.prepare << "SELECT COLUMN_NAME, DATA_TYPE, IS_NULLABLE "
                            "FROM information_schema.COLUMNS "
                            "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'request_recorder'",
         soci::into(name), soci::into(type), soci::into(nullable));
    columns_query.execute();
    while (columns_query.fetch()) columns[Lowercase(name)] = {Lowercase(type), nullable == "YES"};
  }

  // The original's INT counts: widen in place. MODIFY converts the stored values.
  for (const char* column : kCountColumns) {
    auto it = columns.find(column);
    if (it == columns.end() || it->second.first == "bigint") continue;
    session << "ALTER TABLE request_recorder MODIFY COLUMN " + std::string(column) + " BIGINT " +
                   (it->second.second ? "NULL" : "NOT NULL") + " DEFAULT 0";
    changes.push_back(std::string("widened ") + column + " to BIGINT");
  }

  // An earlier version made instances TEXT (64 KB): widen it, keeping the stored values.
  if (auto it = columns.find("instances");
      it != columns.end() && (it->second.first == "text" || it->second.first == "tinytext")) {
    session << std::string("ALTER TABLE request_recorder MODIFY COLUMN instances MEDIUMTEXT ") +
                   (it->second.second ? "NULL" : "NOT NULL");
    changes.push_back("widened instances to MEDIUMTEXT");
  }

  for (const AddedColumn& column : kAddedColumns) {
    if (columns.count(column.name) != 0) continue;
    try {
      session << "ALTER TABLE request_recorder ADD COLUMN " + std::string(column.name) + " " +
                     column.mysql_type;
      changes.push_back(std::string("added ") + column.name);
    } catch (const std::exception& e) {
      if (!IsMySqlError(e, kErDupFieldName)) throw;  // else another process added it first
    }
  }

  // A table of the original shape may lack the unique key that keeps run ids apart.
  long long unique_keys = 0;
  session << "SELECT COUNT(*) FROM information_schema.STATISTICS "
             "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'request_recorder' "
             "AND COLUMN_NAME = 'timestamp' AND NON_UNIQUE = 0 AND SEQ_IN_INDEX = 1",
      soci::into(unique_keys);
  if (unique_keys == 0) {
    try {
      session << "ALTER TABLE request_recorder "
                 "ADD UNIQUE KEY request_recorder_timestamp (`timestamp`)";
      changes.push_back("made timestamp unique");
    } catch (const std::exception& e) {
      if (IsMySqlError(e, kErDupEntry)) {
        // Limitation: rows written by the original share a timestamp, so the key cannot be
        // added without deleting data; until they are merged by hand, two runs created in
        // the same second by different processes can share a timestamp.
        LogStateChange(
            "mysql request_recorder has duplicate timestamps; runs created in the "
            "same second may collide until they are merged");
      } else if (!IsMySqlError(e, kErDupKeyName)) {
        throw;
      }
    }
  }

  if (!changes.empty()) {
    std::string line = "mysql migrated request_recorder (" + url_.Describe() + "):";
    for (const std::string& change : changes) line += " " + change + ";";
    LogStateChange(line);
  }
}

void SqlRunRepository::EnsureSqliteSchema(soci::session& session) {
  // SQLite's INTEGER holds 64 bits, so counts cannot wrap here.
  std::string create =
      "CREATE TABLE IF NOT EXISTS request_recorder ("
      "ID INTEGER PRIMARY KEY AUTOINCREMENT, "
      "`timestamp` INTEGER NOT NULL, "
      "current_request_count INTEGER NOT NULL DEFAULT 0, "
      "max_possible_count INTEGER NOT NULL DEFAULT 0";
  for (const AddedColumn& column : kAddedColumns) {
    create += std::string(", ") + column.name + " " + column.sqlite_type;
  }
  session << create + ")";
  try {
    session << "CREATE UNIQUE INDEX IF NOT EXISTS request_recorder_timestamp "
               "ON request_recorder (`timestamp`)";
  } catch (const std::exception& e) {
    if (!IsDuplicateKey(e)) throw;
    // Limitation: as on MySQL, rows of an older table that share a timestamp keep the index
    // from being created until they are merged by hand.
    LogStateChange(
        "sqlite request_recorder has duplicate timestamps; runs created in the "
        "same second may collide until they are merged");
  }

  std::map<std::string, bool> columns;
  {
    std::string name;
    soci::statement columns_query =
        (session.prepare << "SELECT name FROM pragma_table_info('request_recorder')",
         soci::into(name));
    columns_query.execute();
    while (columns_query.fetch()) columns[Lowercase(name)] = true;
  }
  for (const AddedColumn& column : kAddedColumns) {
    if (columns.count(column.name) != 0) continue;
    try {
      session << "ALTER TABLE request_recorder ADD COLUMN " + std::string(column.name) + " " +
                     column.sqlite_type;
      LogStateChange("sqlite migrated request_recorder (" + url_.Describe() + "): added " +
                     column.name);
    } catch (const std::exception& e) {
      std::string reason = e.what();
      if (reason.find("duplicate column name") == std::string::npos) throw;
    }
  }
}

int64_t SqlRunRepository::CreateRun(int64_t start_seconds, int64_t calls, Strategy strategy) {
  return Execute("creating a run", [&](soci::session& session, Attempt& attempt) {
    long long max_possible_count = calls;
    long long started_at_ms = start_seconds * 1000;
    std::string strategy_name(StrategyName(strategy));

    for (int i = 0; i < kMaxCreateAttempts; ++i) {
      long long timestamp = start_seconds + i;
      try {
        // A lost answer leaves it unknown whether the row exists; retrying could create a
        // second run for one trigger.
        attempt.outcome_unknown_if_lost = true;
        session << "INSERT INTO request_recorder (`timestamp`, current_request_count, "
                   "max_possible_count, strategy, status, succeeded_calls, failed_calls, "
                   "instances, latency_p50_ms, latency_p95_ms, latency_p99_ms, started_at_ms, "
                   "finished_at_ms) VALUES (:timestamp, 0, :calls, :strategy, 'running', 0, 0, "
                   "'{}', 0, 0, 0, :started_at_ms, 0)",
            soci::use(timestamp), soci::use(max_possible_count), soci::use(strategy_name),
            soci::use(started_at_ms);
        return static_cast<int64_t>(timestamp);
      } catch (const std::exception& e) {
        if (!IsDuplicateKey(e)) throw;
      }
    }
    throw BackendError(backend(), "no free run timestamp within " +
                                      std::to_string(kMaxCreateAttempts) + " s of " +
                                      std::to_string(start_seconds));
  });
}

bool SqlRunRepository::ReadCount(soci::session& session, long long timestamp, bool lock_row,
                                 long long& count) {
  std::string query =
      "SELECT COALESCE(current_request_count, 0) FROM request_recorder "
      "WHERE `timestamp` = :timestamp";
  // On SQLite the transaction's IMMEDIATE begin already holds the write lock.
  if (lock_row && dialect_ == Dialect::kMySql) query += " FOR UPDATE";
  session << query, soci::into(count), soci::use(timestamp);
  return session.got_data();
}

bool SqlRunRepository::CountCall(int64_t timestamp, Strategy strategy) {
  switch (strategy) {
    case Strategy::kReadModifyWrite:
      return CountReadModifyWrite(timestamp);
    case Strategy::kAtomic:
      return CountAtomic(timestamp);
    case Strategy::kRowLock:
      return CountWithRowLock(timestamp);
    case Strategy::kOptimistic:
      return CountOptimistic(timestamp);
  }
  throw BackendError(backend(), "unknown update strategy");
}

bool SqlRunRepository::CountReadModifyWrite(long long timestamp) {
  return Execute("counting a call", [&](soci::session& session, Attempt& attempt) {
    long long count = 0;
    if (!ReadCount(session, timestamp, /*lock_row=*/false, count)) return false;
    if (interleaving_.after_read) interleaving_.after_read(timestamp);

    // Two statements, no transaction: another count may write between them and be
    // overwritten. That lost update is what this strategy demonstrates.
    attempt.outcome_unknown_if_lost = true;
    return WriteCount(session, timestamp, count + 1) > 0;
  });
}

// Limitation: a connection lost while the UPDATE is in flight leaves it unknown whether the
// call was counted, and `c = c + 1` is not idempotent, so the count is reported as failed
// (BackendError) rather than retried: a retry could count the call twice, and an over-count
// would hide lost updates, the quantity the demo measures. Stale connections are pinged
// before use (after idleness or another connection's loss) so this window stays small;
// a request id stored with each count would lift it.
bool SqlRunRepository::CountAtomic(long long timestamp) {
  return Execute("counting a call", [&](soci::session& session, Attempt& attempt) {
    attempt.outcome_unknown_if_lost = true;
    soci::statement write =
        (session.prepare << "UPDATE request_recorder "
                            "SET current_request_count = current_request_count + 1 "
                            "WHERE `timestamp` = :timestamp",
         soci::use(timestamp));
    return ExecuteUpdate(write) > 0;
  });
}

// Limitation: interleaving_.before_lock_wait is not called here: SQL gives no portable way to
// learn that a locking read is about to wait (MariaDB's NOWAIT would, MySQL 5.7 lacks it).
// Tests that need the hook use the in-memory repository.
bool SqlRunRepository::CountWithRowLock(long long timestamp) {
  return Execute("counting a call", [&](soci::session& session, Attempt& attempt) {
    WriteTransaction transaction(session, dialect_);
    long long count = 0;
    if (!ReadCount(session, timestamp, /*lock_row=*/true, count)) return false;

    WriteCount(session, timestamp, count + 1);

    // Until COMMIT is sent, a lost connection rolls the transaction back on the server and
    // the whole count can safely run again.
    attempt.outcome_unknown_if_lost = true;
    transaction.Commit();
    return true;
  });
}

bool SqlRunRepository::CountOptimistic(long long timestamp) {
  return Execute("counting a call", [&](soci::session& session, Attempt& attempt) {
    for (int i = 0; i < kMaxOptimisticAttempts; ++i) {
      long long count = 0;
      if (!ReadCount(session, timestamp, /*lock_row=*/false, count)) return false;
      if (interleaving_.after_read) interleaving_.after_read(timestamp);

      long long next = count + 1;
      attempt.outcome_unknown_if_lost = true;
      soci::statement write =
          (session.prepare << "UPDATE request_recorder SET current_request_count = :next "
                              "WHERE `timestamp` = :timestamp "
                              "AND current_request_count = :expected",
           soci::use(next), soci::use(timestamp), soci::use(count));
      if (ExecuteUpdate(write) > 0) return true;

      // Another count changed the row since it was read; nothing was written. Read again.
      attempt.outcome_unknown_if_lost = false;
      std::this_thread::yield();
    }
    throw BackendError(backend(), "optimistic count of run " + std::to_string(timestamp) +
                                      " gave up after " + std::to_string(kMaxOptimisticAttempts) +
                                      " conflicts");
  });
}

bool SqlRunRepository::FinishRun(int64_t timestamp, const RunOutcome& outcome,
                                 int64_t finished_at_ms) {
  nlohmann::json instances = nlohmann::json::object();
  for (const auto& [instance, calls] : outcome.instances) instances[instance] = calls;

  // Sets absolute values, so running it twice is harmless: retried after a lost connection.
  return Execute("finishing a run", [&](soci::session& session, Attempt&) {
    long long run = timestamp;
    std::string status(RunStatusName(outcome.status));
    long long succeeded = outcome.succeeded_calls;
    long long failed = outcome.failed_calls;
    std::string instances_json = instances.dump();
    double p50 = outcome.latency.p50_ms;
    double p95 = outcome.latency.p95_ms;
    double p99 = outcome.latency.p99_ms;
    long long finished = finished_at_ms;
    soci::statement write =
        (session.prepare << "UPDATE request_recorder SET status = :status, "
                            "succeeded_calls = :succeeded, failed_calls = :failed, "
                            "instances = :instances, latency_p50_ms = :p50, "
                            "latency_p95_ms = :p95, latency_p99_ms = :p99, "
                            "finished_at_ms = :finished WHERE `timestamp` = :timestamp",
         soci::use(status), soci::use(succeeded), soci::use(failed), soci::use(instances_json),
         soci::use(p50), soci::use(p95), soci::use(p99), soci::use(finished), soci::use(run));
    return ExecuteUpdate(write) > 0;
  });
}

std::optional<Run> SqlRunRepository::GetRun(int64_t timestamp) {
  return Execute("reading a run", [&](soci::session& session, Attempt&) -> std::optional<Run> {
    long long run = timestamp;
    RunRow row;
    soci::details::prepare_temp_type prepared =
        session.prepare << std::string("SELECT ") + kRunColumns +
                               " FROM request_recorder WHERE `timestamp` = :timestamp "
                               "ORDER BY ID DESC LIMIT 1";
    BindRunRow(prepared, row), soci::use(run);
    soci::statement query(prepared);
    if (!query.execute(true)) return std::nullopt;
    return row.ToRun();
  });
}

std::vector<Run> SqlRunRepository::ListRuns(int limit, int offset) {
  if (limit <= 0) return {};
  return Execute("listing runs", [&](soci::session& session, Attempt&) {
    long long row_limit = limit;
    long long row_offset = std::max(offset, 0);
    RunRow row;
    soci::details::prepare_temp_type prepared =
        session.prepare << std::string("SELECT ") + kRunColumns +
                               " FROM request_recorder ORDER BY `timestamp` DESC, ID DESC "
                               "LIMIT :limit OFFSET :offset";
    BindRunRow(prepared, row), soci::use(row_limit), soci::use(row_offset);
    soci::statement query(prepared);
    std::vector<Run> runs;
    query.execute();
    while (query.fetch()) runs.push_back(row.ToRun());
    return runs;
  });
}

int64_t SqlRunRepository::CountRuns() {
  return Execute("counting runs", [&](soci::session& session, Attempt&) {
    long long runs = 0;
    session << "SELECT COUNT(*) FROM request_recorder", soci::into(runs);
    return static_cast<int64_t>(runs);
  });
}

}  // namespace

std::unique_ptr<RunRepository> OpenRunRepository(const std::string& url,
                                                 CountInterleaving interleaving) {
  DatabaseUrl parsed;
  try {
    parsed = ParseDatabaseUrl(url);
  } catch (const std::invalid_argument& e) {
    // The reason never quotes the URL, which may hold a password in a shape that cannot be
    // parsed well enough to redact.
    std::string backend = url.rfind("mysql:", 0) == 0    ? "mysql"
                          : url.rfind("sqlite:", 0) == 0 ? "sqlite"
                                                         : "database";
    throw BackendError(backend, std::string("malformed database URL: ") + e.what());
  }

  if (parsed.kind == DatabaseUrl::Kind::kMemory) {
    return std::make_unique<InMemoryRunRepository>(std::move(interleaving));
  }
  auto repository = std::make_unique<SqlRunRepository>(std::move(parsed), std::move(interleaving));
  repository->EnsureSchema();
  return repository;
}

}  // namespace pcfdemo
