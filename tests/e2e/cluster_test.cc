// The services mode in the shape of examples/local-cluster, every part real: memcached and
// MariaDB started by the fixture on free loopback ports, three pcfdemo-web instances without
// workers behind nginx (round robin, its own configuration in a temporary directory), two
// `pcfdemo-worker request` processes sharing the trigger store. Runs are triggered through
// nginx and land on all three instances; the tests then restart the backends and kill
// workers in the middle of runs.
//
// Skipped, with the reason, only when the nginx binary is missing.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/child_process.h"
#include "support/http_test_client.h"
#include "support/mariadb_server.h"
#include "support/memcached_server.h"

namespace pcfdemo::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using pcfdemo::testing::MariaDbServer;
using pcfdemo::testing::MemcachedServer;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr int kWebInstances = 3;
constexpr int kRequestWorkers = 2;
// Large enough for the runs that are cut short by a kill or an outage.
constexpr int kMaxCalls = 200000;

// The nginx binary: on the PATH, else where Debian puts it; empty when there is none.
std::string FindNginx() {
  std::vector<std::string> candidates;
  if (const char* path = getenv("PATH")) {
    std::string rest = path;
    size_t start = 0;
    while (start <= rest.size()) {
      size_t colon = rest.find(':', start);
      std::string dir = rest.substr(start, colon == std::string::npos ? colon : colon - start);
      if (!dir.empty()) candidates.push_back(dir + "/nginx");
      if (colon == std::string::npos) break;
      start = colon + 1;
    }
  }
  candidates.push_back("/usr/sbin/nginx");
  for (const std::string& candidate : candidates) {
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

int64_t NowMillis() {
  return std::chrono::duration_cast<milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Polls `condition` every 50 ms until it holds; false once `limit` has passed.
bool WaitUntil(milliseconds limit, const std::function<bool()>& condition) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (true) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(milliseconds(50));
  }
}

json Parse(const HttpTestResponse& response) {
  json value = json::parse(response.body, nullptr, false);
  return value.is_discarded() ? json() : value;
}

void ReplaceAll(std::string& text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

std::string Tail(const std::string& text, size_t bytes = 3000) {
  return text.size() <= bytes ? text : "..." + text.substr(text.size() - bytes);
}

class ClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    nginx_binary_ = FindNginx();
    if (nginx_binary_.empty()) {
      GTEST_SKIP() << "nginx not found on the PATH or at /usr/sbin/nginx (Debian package "
                      "nginx): the cluster tests need a real load balancer";
    }
    ASSERT_TRUE(MemcachedServer::Available()) << "memcached not found (package memcached)";
    ASSERT_EQ(MariaDbServer::Unavailable(), "");

    std::string pattern = (fs::temp_directory_path() / "pcfdemo-cluster-e2e-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;

    memcached_ = std::make_unique<MemcachedServer>();
    memcached_->Start();
    MariaDbServer& mariadb = MariaDbServer::Shared();
    if (!mariadb.running()) mariadb.Start();  // a test before may have left it stopped
    database_ = mariadb.CreateDatabase();
    backend_env_ = {{"PCFDEMO_MEMCACHED", memcached_->address()},
                    {"PCFDEMO_DATABASE_URL", mariadb.url(database_)}};

    nginx_port_ = FreeLoopbackPort();
    ASSERT_GT(nginx_port_, 0);
    for (int i = 0; i < kWebInstances; ++i) StartWeb(i);
    for (int i = 0; i < kWebInstances; ++i) {
      int port = web_ports_[i];
      ASSERT_TRUE(WaitUntil(
          seconds(30),
          [&] { return webs_[i]->Running() && HttpTestGet(port, "/readyz").status == 200; }))
          << "web-" << i << " not ready:\n"
          << Tail(webs_[i]->Log());
    }
    StartNginx();
    ASSERT_TRUE(WaitUntil(
        seconds(20),
        [&] { return nginx_->Running() && HttpTestGet(nginx_port_, "/readyz").status == 200; }))
        << "nginx not ready:\n"
        << Tail(nginx_->Log()) << ReadFile(dir_ / "nginx-error.log");
    for (int i = 0; i < kRequestWorkers; ++i) StartWorker(i);
  }

  void TearDown() override {
    if (HasFailure()) {
      for (size_t i = 0; i < workers_.size(); ++i) {
        if (workers_[i])
          std::cerr << "--- request-worker-" << i << "\n" << Tail(workers_[i]->Log());
      }
      for (size_t i = 0; i < webs_.size(); ++i) {
        std::cerr << "--- web-" << i << "\n" << Tail(webs_[i]->Log());
      }
      if (nginx_) std::cerr << "--- nginx\n" << Tail(ReadFile(dir_ / "nginx-error.log"));
    }
    workers_.clear();
    nginx_.reset();
    webs_.clear();
    memcached_.reset();
    if (!dir_.empty()) {
      std::error_code ignored;
      fs::remove_all(dir_, ignored);
    }
  }

  // The claim lease of the request workers; a test that kills a worker shortens it.
  virtual int LeaseSeconds() const { return 15; }

  void StartWeb(int index) {
    int port = FreeLoopbackPort();
    ASSERT_GT(port, 0);
    web_ports_.push_back(port);
    std::vector<std::string> argv = {
        PCFDEMO_WEB_BINARY,    "--bind",
        "127.0.0.1",           "--port",
        std::to_string(port),  "--instance-index",
        std::to_string(index), "--no-workers",
        "--max-calls",         std::to_string(kMaxCalls),
        "--data-dir",          (dir_ / ("web-" + std::to_string(index))).string(),
        "--destination",       NginxUrl("/receiver")};
    webs_.push_back(std::make_unique<ChildProcess>(
        argv, (dir_ / ("web-" + std::to_string(index) + ".log")).string(), backend_env_));
  }

  void StartNginx() {
    std::string upstreams;
    for (int port : web_ports_) upstreams += "    server 127.0.0.1:" + std::to_string(port) + ";\n";
    // One process (no master): it runs as this user, and nothing is left if the test dies.
    std::string conf = R"(daemon off;
master_process off;
worker_processes 1;
pid @DIR@/nginx.pid;
error_log @DIR@/nginx-error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path @DIR@/client_body;
  proxy_temp_path @DIR@/proxy;
  fastcgi_temp_path @DIR@/fastcgi;
  uwsgi_temp_path @DIR@/uwsgi;
  scgi_temp_path @DIR@/scgi;
  upstream pcfdemo_web {
@UPSTREAMS@    keepalive 32;
    keepalive_timeout 30s;
  }
  server {
    listen 127.0.0.1:@PORT@;
    location / {
      proxy_pass http://pcfdemo_web;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host:$server_port;
      proxy_connect_timeout 2s;
      proxy_read_timeout 30s;
    }
  }
}
)";
    ReplaceAll(conf, "@DIR@", dir_.string());
    ReplaceAll(conf, "@UPSTREAMS@", upstreams);
    ReplaceAll(conf, "@PORT@", std::to_string(nginx_port_));
    std::ofstream(dir_ / "nginx.conf") << conf;
    nginx_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{nginx_binary_, "-p", dir_.string(), "-c",
                                 (dir_ / "nginx.conf").string(), "-e",
                                 (dir_ / "nginx-error.log").string()},
        (dir_ / "nginx.log").string());
  }

  void StartWorker(int index) {
    std::vector<std::string> argv = {
        PCFDEMO_WORKER_BINARY, "request", "--poll-interval-ms", "50",
        "--call-timeout-ms",   "5000",    "--lease-seconds",    std::to_string(LeaseSeconds())};
    workers_.push_back(std::make_unique<ChildProcess>(
        argv, (dir_ / ("request-worker-" + std::to_string(index) + ".log")).string(),
        backend_env_));
  }

  std::string NginxUrl(const std::string& target) const {
    return "http://127.0.0.1:" + std::to_string(nginx_port_) + target;
  }

  static std::string ReadFile(const fs::path& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }

  // --- the API, always through nginx ---

  HttpTestResponse Trigger(int64_t calls, const std::string& strategy, int concurrency) {
    json body = {{"calls", calls}, {"strategy", strategy}, {"concurrency", concurrency}};
    return HttpTestSendJson(nginx_port_, "POST", "/api/runs", body.dump());
  }

  // The run with `timestamp` as the API shows it; null when it cannot be read.
  json Run(int64_t timestamp) {
    HttpTestResponse response = HttpTestGet(nginx_port_, "/api/runs/" + std::to_string(timestamp));
    return response.status == 200 ? Parse(response) : json();
  }

  // The newest run's timestamp: 0 when there is none, -1 when the list cannot be read.
  int64_t NewestTimestamp() {
    json list = Parse(HttpTestGet(nginx_port_, "/api/runs?limit=1"));
    if (!list.is_object() || !list["runs"].is_array()) return -1;
    if (list["runs"].empty()) return 0;
    return list["runs"][0]["timestamp"].get<int64_t>();
  }

  // Triggers a run and waits for its row (created when a worker starts it, however quickly
  // it then ends). Returns its timestamp, 0 if it did not start within `limit`.
  int64_t StartRun(int64_t calls, const std::string& strategy, int concurrency,
                   milliseconds limit = seconds(20)) {
    int64_t newest_before = NewestTimestamp();
    EXPECT_GE(newest_before, 0);
    HttpTestResponse triggered = Trigger(calls, strategy, concurrency);
    EXPECT_EQ(triggered.status, 202) << triggered.body;
    if (triggered.status != 202) return 0;
    int64_t timestamp = 0;
    WaitUntil(limit, [&] {
      int64_t newest = NewestTimestamp();
      if (newest > 0 && newest != newest_before) timestamp = newest;
      return timestamp != 0;
    });
    if (timestamp != 0) {
      EXPECT_EQ(Run(timestamp)["max_possible_count"], calls);
    }
    return timestamp;
  }

  // Waits until run `timestamp` has counted at least `calls` calls.
  bool WaitForCounted(int64_t timestamp, int64_t calls, milliseconds limit = seconds(30)) {
    return WaitUntil(limit, [&] {
      json run = Run(timestamp);
      return run.is_object() && run["current_request_count"].get<int64_t>() >= calls;
    });
  }

  // Waits until run `timestamp` is no longer running and returns it (null on timeout).
  json WaitForRunEnd(int64_t timestamp, milliseconds limit) {
    json ended;
    WaitUntil(limit, [&] {
      json run = Run(timestamp);
      if (run.is_object() && run["status"] != "running") ended = run;
      return !ended.is_null();
    });
    return ended;
  }

  bool WaitUntilIdle(milliseconds limit = seconds(60)) {
    return WaitUntil(limit,
                     [&] { return HttpTestGet(nginx_port_, "/api/runs/current").status == 404; });
  }

  // Triggers a run, waits for it to end and returns it.
  json CompleteRun(int64_t calls, const std::string& strategy, int concurrency) {
    int64_t timestamp = StartRun(calls, strategy, concurrency);
    EXPECT_GT(timestamp, 0) << "the run did not start";
    if (timestamp == 0) return json();
    json run = WaitForRunEnd(timestamp, seconds(60));
    EXPECT_TRUE(run.is_object()) << "run " << timestamp << " did not end";
    EXPECT_TRUE(WaitUntilIdle(seconds(10)));
    return run;
  }

  // The request worker holding the current run's claim, by its process id (the worker id is
  // host-pid-suffix). -1 when none of ours does.
  int WorkerHoldingTheRun() {
    json current = Parse(HttpTestGet(nginx_port_, "/api/runs/current"));
    if (!current.is_object() || !current["worker"].is_string()) return -1;
    std::string id = current["worker"];
    for (size_t i = 0; i < workers_.size(); ++i) {
      std::string pid = "-" + std::to_string(workers_[i]->pid()) + "-";
      if (id.find(pid) != std::string::npos) return static_cast<int>(i);
    }
    return -1;
  }

  // Rows of the run table as the database has them: timestamp -> one line of columns.
  std::map<int64_t, std::string> Rows() {
    std::string text = MariaDbServer::Shared().Execute(
        "SELECT timestamp, current_request_count, max_possible_count, status, succeeded_calls, "
        "failed_calls, instances FROM request_recorder ORDER BY timestamp",
        database_);
    std::map<int64_t, std::string> rows;
    size_t start = 0;
    while (start < text.size()) {
      size_t end = text.find('\n', start);
      std::string line = text.substr(start, end == std::string::npos ? end : end - start);
      if (!line.empty()) rows[std::stoll(line.substr(0, line.find('\t')))] = line;
      if (end == std::string::npos) break;
      start = end + 1;
    }
    return rows;
  }

  // When run `timestamp` ended, in epoch milliseconds, as the database recorded it.
  int64_t FinishedAtMillis(int64_t timestamp) {
    std::string text = MariaDbServer::Shared().Execute(
        "SELECT finished_at_ms FROM request_recorder WHERE timestamp = " +
            std::to_string(timestamp),
        database_);
    return text.empty() ? 0 : std::stoll(text);
  }

  static void ExpectCompleteAtomicRun(const json& run, int64_t calls) {
    ASSERT_TRUE(run.is_object());
    EXPECT_EQ(run["status"], "finished") << run.dump();
    EXPECT_EQ(run["strategy"], "atomic");
    EXPECT_EQ(run["max_possible_count"], calls);
    EXPECT_EQ(run["succeeded_calls"], calls) << run.dump();
    EXPECT_EQ(run["current_request_count"], calls) << run.dump();
    EXPECT_EQ(run["failed_calls"], 0);
    EXPECT_EQ(run["lost_updates"], 0);
  }

  std::string nginx_binary_;
  fs::path dir_;
  std::unique_ptr<MemcachedServer> memcached_;
  std::string database_;
  std::map<std::string, std::string> backend_env_;
  int nginx_port_ = 0;
  std::vector<int> web_ports_;
  std::vector<std::unique_ptr<ChildProcess>> webs_;
  std::unique_ptr<ChildProcess> nginx_;
  std::vector<std::unique_ptr<ChildProcess>> workers_;
};

TEST_F(ClusterTest, RunThroughNginxIsCountedOnAllThreeInstances) {
  json run = CompleteRun(300, "atomic", 8);
  ExpectCompleteAtomicRun(run, 300);

  // Instances are named "<index>/<guid prefix>"; round robin reaches every one.
  ASSERT_TRUE(run["instances"].is_object()) << run.dump();
  std::set<std::string> indexes;
  int64_t answered = 0;
  for (auto& [instance, calls] : run["instances"].items()) {
    indexes.insert(instance.substr(0, instance.find('/')));
    EXPECT_GT(calls.get<int64_t>(), 0) << instance;
    answered += calls.get<int64_t>();
  }
  EXPECT_EQ(indexes, (std::set<std::string>{"0", "1", "2"})) << run["instances"].dump();
  EXPECT_EQ(answered, 300);
}

TEST_F(ClusterTest, TwoWorkersRunEveryTriggerExactlyOnce) {
  // Distinct sizes, so every row can be matched to the trigger that asked for it.
  const std::vector<int64_t> sizes = {21, 22, 23, 24, 25, 26};
  for (int64_t calls : sizes) {
    json run = CompleteRun(calls, "atomic", 4);
    ExpectCompleteAtomicRun(run, calls);
  }

  std::map<int64_t, std::string> rows = Rows();
  EXPECT_EQ(rows.size(), sizes.size());
  std::multiset<int64_t> asked;
  for (const auto& [timestamp, line] : rows) {
    json run = Run(timestamp);
    ASSERT_TRUE(run.is_object()) << line;
    asked.insert(run["max_possible_count"].get<int64_t>());
  }
  EXPECT_EQ(asked, std::multiset<int64_t>(sizes.begin(), sizes.end()));

  // Every run a worker logged as started is one of these, started once.
  const std::regex started("run ([0-9]+) started: ");
  std::multiset<std::string> starts;
  for (auto& worker : workers_) {
    std::string log = worker->Log();
    for (std::sregex_iterator it(log.begin(), log.end(), started), end; it != end; ++it) {
      starts.insert((*it)[1].str());
    }
  }
  std::multiset<std::string> expected;
  for (const auto& [timestamp, line] : rows) expected.insert(std::to_string(timestamp));
  EXPECT_EQ(starts, expected);
}

TEST_F(ClusterTest, MemcachedRestartInTheMiddleOfARunLosesNothingRecorded) {
  json before = CompleteRun(60, "atomic", 4);
  ExpectCompleteAtomicRun(before, 60);
  std::map<int64_t, std::string> rows_before = Rows();

  int64_t timestamp = StartRun(kMaxCalls, "atomic", 4);
  ASSERT_GT(timestamp, 0);
  ASSERT_TRUE(WaitForCounted(timestamp, 100));

  int64_t restarted_at = NowMillis();
  memcached_->Stop();
  memcached_->Start();  // same port, empty: the trigger and the claim are gone

  // The worker notices its claim is gone at its next renewal (every lease/3) and records the
  // run with the calls it made.
  json run = WaitForRunEnd(timestamp, seconds(30));
  ASSERT_TRUE(run.is_object()) << "run " << timestamp << " is still running";
  EXPECT_TRUE(run["status"] == "finished" || run["status"] == "abandoned") << run.dump();
  EXPECT_GE(FinishedAtMillis(timestamp), restarted_at) << run.dump();
  EXPECT_GT(run["succeeded_calls"].get<int64_t>(), 0);
  // Atomic counting: every call the worker saw succeed was counted.
  EXPECT_EQ(run["current_request_count"], run["succeeded_calls"]) << run.dump();

  // Back to normal: every instance ready, the next trigger runs to the end.
  ASSERT_TRUE(WaitUntil(seconds(20), [&] {
    for (int port : web_ports_) {
      if (HttpTestGet(port, "/readyz").status != 200) return false;
    }
    return true;
  }));
  json after = CompleteRun(90, "atomic", 4);
  ExpectCompleteAtomicRun(after, 90);

  std::map<int64_t, std::string> rows_after = Rows();
  for (const auto& [row_timestamp, line] : rows_before) {
    EXPECT_EQ(rows_after[row_timestamp], line) << "run " << row_timestamp << " changed";
  }
  EXPECT_EQ(rows_after.size(), rows_before.size() + 2);
}

TEST_F(ClusterTest, MariaDbRestartInTheMiddleOfARunRecovers) {
  json before = CompleteRun(60, "atomic", 4);
  ExpectCompleteAtomicRun(before, 60);
  std::map<int64_t, std::string> rows_before = Rows();

  // More calls than the test waits for: it ends the run itself once counting resumed.
  int64_t timestamp = StartRun(kMaxCalls, "atomic", 4);
  ASSERT_GT(timestamp, 0);
  ASSERT_TRUE(WaitForCounted(timestamp, 100));

  MariaDbServer& mariadb = MariaDbServer::Shared();
  int64_t restarted_at = NowMillis();
  mariadb.Stop();
  // While it is down the instances say so, and the calls of the run fail.
  EXPECT_TRUE(
      WaitUntil(seconds(10), [&] { return HttpTestGet(web_ports_[0], "/readyz").status == 503; }));
  mariadb.Start();

  ASSERT_TRUE(WaitUntil(seconds(30), [&] {
    for (int port : web_ports_) {
      if (HttpTestGet(port, "/readyz").status != 200) return false;
    }
    return true;
  })) << "the instances did not become ready again";
  // The run goes on: its calls are counted again.
  json resumed = Run(timestamp);
  ASSERT_TRUE(resumed.is_object());
  EXPECT_EQ(resumed["status"], "running");
  int64_t counted_after_restart = resumed["current_request_count"].get<int64_t>();
  ASSERT_TRUE(WaitForCounted(timestamp, counted_after_restart + 100)) << resumed.dump();

  // End it the operator's way; its worker records it with the calls it made.
  EXPECT_EQ(HttpTestSendJson(nginx_port_, "POST", "/api/trigger-store/flush", "{}").status, 200);
  json run = WaitForRunEnd(timestamp, seconds(30));
  ASSERT_TRUE(run.is_object()) << "run " << timestamp << " is still running";
  EXPECT_TRUE(run["status"] == "finished" || run["status"] == "abandoned") << run.dump();
  EXPECT_GE(FinishedAtMillis(timestamp), restarted_at) << run.dump();
  EXPECT_GT(run["failed_calls"].get<int64_t>(), 0) << run.dump();
  EXPECT_GT(run["succeeded_calls"].get<int64_t>(), counted_after_restart) << run.dump();
  // Atomic counting: every call answered 200 was counted. A call in flight when the server
  // went down may have been counted although its answer was an error (the receiver cannot
  // know whether its UPDATE committed), so a failed call may be counted too, never twice.
  int64_t counted = run["current_request_count"].get<int64_t>();
  EXPECT_GE(counted, run["succeeded_calls"].get<int64_t>()) << run.dump();
  EXPECT_LE(counted, run["succeeded_calls"].get<int64_t>() + run["failed_calls"].get<int64_t>())
      << run.dump();
  ASSERT_TRUE(WaitUntilIdle(seconds(10)));

  std::map<int64_t, std::string> rows_after = Rows();
  for (const auto& [row_timestamp, line] : rows_before) {
    EXPECT_EQ(rows_after[row_timestamp], line) << "run " << row_timestamp << " changed";
  }
  json after = CompleteRun(90, "atomic", 4);
  ExpectCompleteAtomicRun(after, 90);
}

// Workers with a short lease, so a dead worker's run is taken over within seconds.
class ClusterShortLeaseTest : public ClusterTest {
 protected:
  int LeaseSeconds() const override { return 3; }
};

TEST_F(ClusterShortLeaseTest, KilledWorkersRunIsAbandonedByTheOtherAfterTheLease) {
  int64_t timestamp = StartRun(kMaxCalls, "atomic", 4);
  ASSERT_GT(timestamp, 0);
  ASSERT_TRUE(WaitForCounted(timestamp, 100));
  int holder = WorkerHoldingTheRun();
  ASSERT_GE(holder, 0);
  int other = 1 - holder;

  ASSERT_EQ(kill(workers_[holder]->pid(), SIGKILL), 0);
  auto killed = std::chrono::steady_clock::now();
  EXPECT_TRUE(WaitUntil(seconds(5), [&] { return !workers_[holder]->Running(); }));

  // The claim expires after the lease; the other worker finds the run orphaned.
  json run = WaitForRunEnd(timestamp, seconds(LeaseSeconds() + 10));
  ASSERT_TRUE(run.is_object()) << "run " << timestamp << " still running";
  EXPECT_EQ(run["status"], "abandoned") << run.dump();
  // Not before the claim expired: it was renewed at most lease/3 before the kill.
  EXPECT_GE(std::chrono::steady_clock::now() - killed, seconds(1));
  EXPECT_NE(workers_[other]->Log().find("run " + std::to_string(timestamp) + " abandoned"),
            std::string::npos)
      << workers_[other]->Log();
  ASSERT_TRUE(WaitUntilIdle(seconds(5)));

  json next = CompleteRun(120, "atomic", 4);
  ExpectCompleteAtomicRun(next, 120);
  EXPECT_TRUE(workers_[other]->Running());
}

TEST_F(ClusterTest, TerminatedWorkerRecordsItsRunAndReleasesTheTrigger) {
  int64_t timestamp = StartRun(kMaxCalls, "atomic", 4);
  ASSERT_GT(timestamp, 0);
  ASSERT_TRUE(WaitForCounted(timestamp, 100));
  int holder = WorkerHoldingTheRun();
  ASSERT_GE(holder, 0);

  std::optional<int> exit_status = workers_[holder]->Stop(seconds(30));
  ASSERT_TRUE(exit_status.has_value()) << "the worker had to be killed";
  EXPECT_EQ(*exit_status, 0);

  // Recorded before the worker exited: no longer running, calls as the worker saw them.
  json run = Run(timestamp);
  ASSERT_TRUE(run.is_object());
  EXPECT_TRUE(run["status"] == "finished" || run["status"] == "abandoned") << run.dump();
  EXPECT_GT(run["succeeded_calls"].get<int64_t>(), 0);
  EXPECT_LT(run["succeeded_calls"].get<int64_t>(), kMaxCalls);
  EXPECT_EQ(run["current_request_count"], run["succeeded_calls"]) << run.dump();
  // The claim is released and the trigger cleared, long before the 15 s lease would end.
  EXPECT_EQ(memcached_->RawTextCommand("get pcfdemo.claim\r\n"), "END\r\n");
  EXPECT_EQ(HttpTestGet(nginx_port_, "/api/runs/current").status, 404);

  auto triggered = std::chrono::steady_clock::now();
  int64_t next_timestamp = StartRun(50, "atomic", 4, seconds(5));
  EXPECT_GT(next_timestamp, 0) << "the other worker did not take the new trigger";
  EXPECT_LT(std::chrono::steady_clock::now() - triggered, seconds(LeaseSeconds()));
  if (next_timestamp > 0) {
    json next = WaitForRunEnd(next_timestamp, seconds(30));
    ExpectCompleteAtomicRun(next, 50);
  }
}

}  // namespace
}  // namespace pcfdemo::test
