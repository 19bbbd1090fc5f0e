// pcfdemo-web in standalone mode, as a user runs it: the real binary on a free loopback
// port with a fresh data directory (SQLite file, in-memory trigger store, both workers as
// threads), driven over HTTP.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/child_process.h"
#include "support/http_test_client.h"

namespace pcfdemo::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr int kMaxCalls = 500;

json Parse(const HttpTestResponse& response) {
  json value = json::parse(response.body, nullptr, false);
  return value.is_discarded() ? json() : value;
}

class WebStandalone : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "pcfdemo-web-e2e-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    Start();
  }

  void TearDown() override {
    web_.reset();
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  // Starts the binary on a new free port with this test's data directory and waits until
  // it is ready (its SQLite file open).
  void Start(const std::vector<std::string>& extra_args = {}) {
    port_ = FreeLoopbackPort();
    ASSERT_GT(port_, 0);
    std::vector<std::string> argv = {PCFDEMO_WEB_BINARY, "--port",      std::to_string(port_),
                                     "--bind",           "127.0.0.1",   "--data-dir",
                                     dir_.string(),      "--max-calls", std::to_string(kMaxCalls)};
    argv.insert(argv.end(), extra_args.begin(), extra_args.end());
    web_ = std::make_unique<ChildProcess>(argv, (dir_ / "web.log").string());
    ASSERT_TRUE(WaitFor("/readyz", 200, seconds(20))) << web_->Log();
  }

  // Polls `target` until it answers `status`; false after `limit`.
  bool WaitFor(const std::string& target, int status, milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (!web_->Running()) return false;
      if (HttpTestGet(port_, target).status == status) return true;
      std::this_thread::sleep_for(milliseconds(50));
    }
    return false;
  }

  bool WaitUntilIdle() { return WaitFor("/api/runs/current", 404, seconds(60)); }

  HttpTestResponse TriggerRun(const std::string& body) {
    return HttpTestSendJson(port_, "POST", "/api/runs", body);
  }

  json Runs() { return Parse(HttpTestGet(port_, "/api/runs")); }

  fs::path dir_;
  int port_ = 0;
  std::unique_ptr<ChildProcess> web_;
};

TEST_F(WebStandalone, AtomicRunOf200CallsIsCountedWithoutLoss) {
  HttpTestResponse accepted = TriggerRun(R"({"calls":200,"strategy":"atomic"})");
  ASSERT_EQ(accepted.status, 202) << accepted.body;
  json pending = Parse(accepted);
  EXPECT_EQ(pending["status"], "pending");
  EXPECT_EQ(pending["calls"], 200);
  EXPECT_EQ(pending["destination"], "http://127.0.0.1:" + std::to_string(port_) + "/receiver");

  ASSERT_TRUE(WaitUntilIdle()) << web_->Log();

  json runs = Runs();
  ASSERT_EQ(runs["total"], 1) << runs.dump();
  const json& run = runs["runs"][0];
  EXPECT_EQ(run["status"], "finished");
  EXPECT_EQ(run["strategy"], "atomic");
  EXPECT_EQ(run["max_possible_count"], 200);
  EXPECT_EQ(run["current_request_count"], 200);
  EXPECT_EQ(run["succeeded_calls"], 200);
  EXPECT_EQ(run["failed_calls"], 0);
  EXPECT_EQ(run["lost_updates"], 0);
  EXPECT_TRUE(run["finished_at"].is_string());

  // Every call was answered by this instance, which names itself the same way everywhere.
  HttpTestResponse instance = HttpTestGet(port_, "/api/instance");
  ASSERT_EQ(instance.status, 200);
  std::string name = Parse(instance)["instance"];
  EXPECT_EQ(run["instances"], json({{name, 200}}));

  int64_t timestamp = run["timestamp"];
  HttpTestResponse one = HttpTestGet(port_, "/api/runs/" + std::to_string(timestamp));
  ASSERT_EQ(one.status, 200);
  EXPECT_EQ(Parse(one)["current_request_count"], 200);

  HttpTestResponse counted =
      HttpTestGet(port_, "/receiver?timestamp=" + std::to_string(timestamp) + "&strategy=atomic");
  ASSERT_EQ(counted.status, 200) << counted.body;
  EXPECT_EQ(counted.Header("X-Pcfdemo-Instance"), name);
  EXPECT_EQ(Parse(counted),
            json({{"instance", name}, {"timestamp", timestamp}, {"counted", true}}));

  // /metrics is Prometheus text and holds the run's call latencies as a histogram.
  HttpTestResponse metrics = HttpTestGet(port_, "/metrics");
  ASSERT_EQ(metrics.status, 200);
  static const std::regex kSampleLine(
      R"(^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? )"
      R"([-+0-9.eEinfNa]+$)");
  std::istringstream lines(metrics.body);
  std::string line;
  int samples = 0;
  while (std::getline(lines, line)) {
    if (line.empty() || line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) continue;
    EXPECT_TRUE(std::regex_match(line, kSampleLine)) << "not a Prometheus sample: " << line;
    ++samples;
  }
  EXPECT_GT(samples, 10);
  EXPECT_NE(metrics.body.find("# TYPE pcfdemo_fanout_call_latency_seconds histogram"),
            std::string::npos);
  EXPECT_NE(metrics.body.find("pcfdemo_fanout_call_latency_seconds_bucket{le=\"+Inf\"} 200\n"),
            std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("pcfdemo_fanout_call_latency_seconds_count 200\n"),
            std::string::npos);
}

TEST_F(WebStandalone, ReceiverRefusesBadCallsWithReasons) {
  EXPECT_EQ(HttpTestGet(port_, "/receiver").status, 400);
  EXPECT_EQ(HttpTestGet(port_, "/receiver?timestamp=abc").status, 400);
  EXPECT_EQ(HttpTestGet(port_, "/receiver?timestamp=-5").status, 400);
  EXPECT_EQ(HttpTestGet(port_, "/receiver?timestamp=1700000000&strategy=fast").status, 400);
  HttpTestResponse unknown = HttpTestGet(port_, "/receiver?timestamp=1700000000");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_TRUE(Parse(unknown)["error"].is_string());
}

TEST_F(WebStandalone, EveryBadRunRequestIsRefusedAndTriggersNothing) {
  const std::string max_plus_one = std::to_string(kMaxCalls + 1);
  const std::vector<std::string> bad_bodies = {
      R"({"calls":0})",
      R"({"calls":-1})",
      R"({"calls":)" + max_plus_one + "}",
      R"({"calls":"abc"})",
      R"({"calls":99999999999999999999})",
      R"({"calls":1.5})",
      "",
      R"({"calls":)",
      R"({"calls":5)",
      "not json",
      R"([{"calls":5}])",
      R"("calls")",
      R"({"strategy":"atomic"})",
      R"({"calls":5,"strategy":"fast"})",
      R"({"calls":5,"concurrency":0})",
      R"({"calls":5,"concurrency":100000})",
      R"({"calls":5,"destination":"file:///etc/passwd"})",
      R"({"calls":5,"destination":"gopher://127.0.0.1/"})",
      R"({"calls":5,"destination":"ftp://127.0.0.1/"})",
      R"j({"calls":5,"destination":"javascript:alert(1)"})j",
      R"({"calls":5,"destination":"http:///receiver"})",
      R"({"calls":5,"destination":"http://user:pass@127.0.0.1/receiver"})",
      R"({"calls":5,"destination":"http://example.com/receiver"})",
  };
  for (const std::string& body : bad_bodies) {
    HttpTestResponse refused = TriggerRun(body);
    EXPECT_EQ(refused.status, 400) << body << " -> " << refused.body;
    json error = Parse(refused);
    ASSERT_TRUE(error.is_object()) << body << " -> " << refused.body;
    EXPECT_TRUE(error["error"].is_string() && !error["error"].get<std::string>().empty()) << body;
  }

  // A valid body with a wrong or missing content type is refused too.
  for (const HttpTestHeaders& headers :
       {HttpTestHeaders{{"Content-Type", "text/plain"}},
        HttpTestHeaders{{"Content-Type", "application/x-www-form-urlencoded"}},
        HttpTestHeaders{}}) {
    HttpTestResponse refused =
        HttpTestRequest(port_, "POST", "/api/runs", R"({"calls":5})", headers);
    EXPECT_EQ(refused.status, 400) << refused.body;
    EXPECT_NE(Parse(refused)["error"].get<std::string>().find("application/json"),
              std::string::npos);
  }

  EXPECT_EQ(HttpTestGet(port_, "/api/runs/current").status, 404);
  EXPECT_EQ(Runs()["total"], 0);
}

TEST_F(WebStandalone, SecondTriggerWhileARunIsPendingIsRefusedAndTheFirstCompletes) {
  ASSERT_EQ(TriggerRun(R"({"calls":300,"strategy":"atomic","concurrency":2})").status, 202);

  HttpTestResponse refused = TriggerRun(R"({"calls":7,"strategy":"optimistic"})");
  ASSERT_EQ(refused.status, 409) << refused.body;
  json conflict = Parse(refused);
  EXPECT_EQ(conflict["error"], "a run is already pending or running");
  EXPECT_EQ(conflict["current"]["request"]["calls"], 300);
  EXPECT_EQ(conflict["current"]["strategy"], "atomic");

  ASSERT_TRUE(WaitUntilIdle()) << web_->Log();
  json runs = Runs();
  ASSERT_EQ(runs["total"], 1) << runs.dump();
  EXPECT_EQ(runs["runs"][0]["max_possible_count"], 300);
  EXPECT_EQ(runs["runs"][0]["current_request_count"], 300);
  EXPECT_EQ(runs["runs"][0]["succeeded_calls"], 300);
  EXPECT_EQ(runs["runs"][0]["status"], "finished");
}

TEST_F(WebStandalone, RunsSurviveARestartAndSigtermExitsCleanly) {
  ASSERT_EQ(TriggerRun(R"({"calls":25,"strategy":"row-lock"})").status, 202);
  ASSERT_TRUE(WaitUntilIdle()) << web_->Log();
  json before = Runs();
  ASSERT_EQ(before["total"], 1);

  std::optional<int> exit_status = web_->Stop();
  ASSERT_TRUE(exit_status.has_value()) << "killed by a signal:\n" << web_->Log();
  EXPECT_EQ(*exit_status, 0) << web_->Log();

  Start();
  json after = Runs();
  ASSERT_EQ(after["total"], 1) << after.dump();
  EXPECT_EQ(after["runs"][0]["timestamp"], before["runs"][0]["timestamp"]);
  EXPECT_EQ(after["runs"][0]["current_request_count"], 25);
  EXPECT_EQ(after["runs"][0]["strategy"], "row-lock");
  EXPECT_EQ(after["runs"][0]["status"], "finished");
}

TEST_F(WebStandalone, ProbesAndTheirOperatorSwitches) {
  EXPECT_EQ(HttpTestGet(port_, "/healthz").status, 200);
  EXPECT_EQ(HttpTestGet(port_, "/readyz").status, 200);
  EXPECT_EQ(HttpTestRequest(port_, "POST", "/readyz/disable").status, 200);
  HttpTestResponse disabled = HttpTestGet(port_, "/readyz");
  EXPECT_EQ(disabled.status, 503);
  EXPECT_TRUE(Parse(disabled)["error"].is_string());
  EXPECT_EQ(HttpTestGet(port_, "/healthz").status, 200);
  EXPECT_EQ(HttpTestRequest(port_, "POST", "/readyz/enable").status, 200);
  EXPECT_EQ(HttpTestGet(port_, "/readyz").status, 200);
}

// A page on another site must not be able to take the instance out of rotation; a program
// without an Origin (curl -X POST) and this site's own pages still can.
TEST_F(WebStandalone, ReadinessSwitchesRefuseCrossSiteRequests) {
  for (const char* target : {"/readyz/disable", "/readyz/enable"}) {
    for (const HttpTestHeaders& headers : {HttpTestHeaders{{"Origin", "http://evil.example"}},
                                           HttpTestHeaders{{"Origin", "http://127.0.0.1:1"}},
                                           HttpTestHeaders{{"Sec-Fetch-Site", "cross-site"}},
                                           HttpTestHeaders{{"Sec-Fetch-Site", "same-site"}}}) {
      HttpTestResponse refused = HttpTestRequest(port_, "POST", target, "", headers);
      EXPECT_EQ(refused.status, 403) << target << " " << headers[0].second;
      EXPECT_NE(Parse(refused)["error"].get<std::string>().find("another site"), std::string::npos)
          << refused.body;
    }
  }
  EXPECT_EQ(HttpTestGet(port_, "/readyz").status, 200);

  std::string own_origin = "http://127.0.0.1:" + std::to_string(port_);
  EXPECT_EQ(HttpTestRequest(port_, "POST", "/readyz/disable", "", {{"Origin", own_origin}}).status,
            200);
  EXPECT_EQ(HttpTestGet(port_, "/readyz").status, 503);
  EXPECT_EQ(HttpTestRequest(port_, "POST", "/readyz/enable").status, 200);
  EXPECT_EQ(HttpTestGet(port_, "/readyz").status, 200);
}

TEST_F(WebStandalone, CpuLoadSwitchValidatesAndReports) {
  EXPECT_EQ(HttpTestSendJson(port_, "PUT", "/api/cpu-load",
                             R"({"state":"ON","target_percent":150,"duration_s":10})")
                .status,
            400);
  EXPECT_EQ(HttpTestSendJson(port_, "PUT", "/api/cpu-load",
                             R"({"state":"ON","target_percent":10,"duration_s":0})")
                .status,
            400);
  EXPECT_EQ(HttpTestSendJson(port_, "PUT", "/api/cpu-load", R"({"state":"MAYBE"})").status, 400);
  HttpTestResponse huge =
      HttpTestSendJson(port_, "PUT", "/api/cpu-load", R"({"state":"ON","duration_s":1e400})");
  EXPECT_EQ(huge.status, 400) << huge.body;
  EXPECT_NE(huge.body.find("out of range"), std::string::npos) << huge.body;
  EXPECT_EQ(TriggerRun(R"({"calls":1e400})").status, 400);
  EXPECT_EQ(Parse(HttpTestGet(port_, "/api/cpu-load"))["state"], "OFF");

  HttpTestResponse on = HttpTestSendJson(port_, "PUT", "/api/cpu-load",
                                         R"({"state":"ON","target_percent":5,"duration_s":60})");
  ASSERT_EQ(on.status, 200) << on.body;
  json state = Parse(HttpTestGet(port_, "/api/cpu-load"));
  EXPECT_EQ(state["state"], "ON");
  EXPECT_EQ(state["target_percent"], 5);
  EXPECT_GT(state["time_left_s"].get<int>(), 0);
  EXPECT_LE(state["time_left_s"].get<int>(), 60);
  EXPECT_TRUE(state["burners"].is_array());

  ASSERT_EQ(HttpTestSendJson(port_, "PUT", "/api/cpu-load", R"({"state":"OFF"})").status, 200);
  EXPECT_EQ(Parse(HttpTestGet(port_, "/api/cpu-load"))["state"], "OFF");
}

TEST_F(WebStandalone, RootPageNamesTheInstanceAndMetricsCountRequests) {
  std::string name = Parse(HttpTestGet(port_, "/api/instance"))["instance"];
  HttpTestResponse page = HttpTestGet(port_, "/");
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.Header("Content-Type").find("text/html"), std::string::npos);
  EXPECT_NE(page.body.find(name), std::string::npos) << page.body;

  HttpTestGet(port_, "/healthz");
  HttpTestResponse metrics = HttpTestGet(port_, "/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.Header("Content-Type").find("text/plain"), std::string::npos);
  EXPECT_NE(metrics.body.find("pcfdemo_http_requests_total{route=\"GET /healthz\",status=\"200\"}"),
            std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("pcfdemo_backend_up{backend=\"runs\"} 1"), std::string::npos);
}

// A database that cannot be reached at startup: the instance serves, says why it is not
// ready, never shows the password, and does not crash.
TEST_F(WebStandalone, UnreachableDatabaseLeavesTheInstanceUpButNotReadyWithoutLeakingSecrets) {
  web_->Stop();
  int closed_port = FreeLoopbackPort();
  port_ = FreeLoopbackPort();
  const std::string password = "Sup3rSecretPw";
  web_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{
          PCFDEMO_WEB_BINARY, "--port", std::to_string(port_), "--bind", "127.0.0.1", "--data-dir",
          dir_.string(), "--database",
          "mysql://pcfdemo:" + password + "@127.0.0.1:" + std::to_string(closed_port) + "/pcfdemo"},
      (dir_ / "web-mysql.log").string());
  ASSERT_TRUE(WaitFor("/healthz", 200, seconds(20))) << web_->Log();

  HttpTestResponse ready = HttpTestGet(port_, "/readyz");
  EXPECT_EQ(ready.status, 503);
  EXPECT_NE(ready.body.find("run repository"), std::string::npos) << ready.body;
  HttpTestResponse runs = HttpTestGet(port_, "/api/runs");
  EXPECT_EQ(runs.status, 503);
  EXPECT_TRUE(Parse(runs)["error"].is_string());
  HttpTestResponse instance = HttpTestGet(port_, "/api/instance");
  EXPECT_EQ(instance.status, 200);

  for (const HttpTestResponse* response : {&ready, &runs, &instance}) {
    EXPECT_EQ(response->body.find(password), std::string::npos) << response->body;
  }
  EXPECT_TRUE(web_->Running());
  std::optional<int> exit_status = web_->Stop();
  EXPECT_EQ(exit_status, std::optional<int>(0));
  EXPECT_EQ(web_->Log().find(password), std::string::npos) << web_->Log();
}

// A short password ("demo") is hidden where it stands alone, not inside "pcfdemo": a mangled
// "pcf***-web" would give the password away.
TEST_F(WebStandalone, ShortPasswordIsHiddenWithoutManglingWordsThatContainIt) {
  web_->Stop();
  int closed_port = FreeLoopbackPort();
  port_ = FreeLoopbackPort();
  web_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{
          PCFDEMO_WEB_BINARY, "--port", std::to_string(port_), "--bind", "127.0.0.1", "--data-dir",
          dir_.string(), "--database",
          "mysql://pcfdemo:demo@127.0.0.1:" + std::to_string(closed_port) + "/pcfdemo"},
      (dir_ / "web-demo.log").string());
  ASSERT_TRUE(WaitFor("/healthz", 200, seconds(20))) << web_->Log();

  HttpTestResponse page = HttpTestGet(port_, "/");
  ASSERT_EQ(page.status, 200);
  HttpTestResponse ready = HttpTestGet(port_, "/readyz");
  std::optional<int> exit_status = web_->Stop();
  EXPECT_EQ(exit_status, std::optional<int>(0));
  std::string log = web_->Log();

  EXPECT_NE(log.find("pcfdemo-web"), std::string::npos) << log;
  EXPECT_NE(page.body.find("pcfdemo"), std::string::npos);
  for (const std::string* text : {&log, &page.body, &ready.body}) {
    EXPECT_EQ(text->find("pcf***"), std::string::npos) << *text;
    EXPECT_EQ(text->find(":demo@"), std::string::npos) << *text;
  }
}

TEST_F(WebStandalone, BadConfigurationExitsWithStatusTwo) {
  web_->Stop();
  ChildProcess bad({PCFDEMO_WEB_BINARY, "--port", "not-a-port"}, (dir_ / "bad.log").string());
  auto deadline = std::chrono::steady_clock::now() + seconds(10);
  while (bad.Running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_EQ(bad.Stop(), std::optional<int>(2)) << bad.Log();
  EXPECT_FALSE(bad.Log().empty());
}

}  // namespace
}  // namespace pcfdemo::test
