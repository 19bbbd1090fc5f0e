// pcfdemo-worker as an operator runs it: the fanout command against a loopback server, and
// the one-line reasons for bad input.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "support/child_process.h"
#include "support/http_test_client.h"
#include "support/loopback_http_server.h"
#include "support/memcached_server.h"

extern char** environ;

namespace pcfdemo {
namespace {

using test::LoopbackHttpServer;
using test::LoopbackRequest;
using test::LoopbackResponse;

struct Outcome {
  int exit_code = -1;  // 128 + signal when killed
  std::string out;
  std::string err;
};

// Runs pcfdemo-worker with `args` and the environment `env` ("NAME=value"), waits at most
// `limit` (then kills it) and returns what it printed and its exit status.
Outcome RunWorker(const std::vector<std::string>& args, const std::vector<std::string>& env = {},
                  std::chrono::seconds limit = std::chrono::seconds(30)) {
  std::vector<std::string> argv_strings = {PCFDEMO_WORKER_BINARY};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& arg : argv_strings) argv.push_back(arg.data());
  argv.push_back(nullptr);

  // The test's own environment without PCFDEMO_* settings, plus `env`.
  std::vector<std::string> env_strings;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    if (std::string(*entry).rfind("PCFDEMO_", 0) != 0) env_strings.emplace_back(*entry);
  }
  env_strings.insert(env_strings.end(), env.begin(), env.end());
  std::vector<char*> envp;
  for (auto& entry : env_strings) envp.push_back(entry.data());
  envp.push_back(nullptr);

  int out_pipe[2], err_pipe[2];
  EXPECT_EQ(pipe2(out_pipe, O_CLOEXEC), 0);
  EXPECT_EQ(pipe2(err_pipe, O_CLOEXEC), 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  pid_t pid = -1;
  int spawned = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(out_pipe[1]);
  close(err_pipe[1]);
  Outcome outcome;
  if (spawned != 0) {
    close(out_pipe[0]);
    close(err_pipe[0]);
    ADD_FAILURE() << "cannot start " << argv[0];
    return outcome;
  }

  auto deadline = std::chrono::steady_clock::now() + limit;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&outcome.out, &outcome.err};
  int open_pipes = 2;
  bool killed = false;
  while (open_pipes > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0 && !killed) {
      kill(pid, SIGKILL);
      killed = true;
      ADD_FAILURE() << "pcfdemo-worker did not finish in time; killed";
    }
    if (poll(fds, 2, left > 0 ? static_cast<int>(std::min<int64_t>(left, 1000)) : 1000) <= 0) {
      continue;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buffer[4096];
      ssize_t n = read(fds[i].fd, buffer, sizeof(buffer));
      if (n > 0) {
        sinks[i]->append(buffer, static_cast<size_t>(n));
      } else {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_pipes;
      }
    }
  }
  int status = 0;
  waitpid(pid, &status, 0);
  outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return outcome;
}

// The one line a bad invocation prints: non-empty, no line break before its end.
void ExpectOneLineReason(const Outcome& outcome, const std::string& mentions) {
  EXPECT_NE(outcome.exit_code, 0);
  EXPECT_EQ(outcome.out, "");
  ASSERT_FALSE(outcome.err.empty());
  EXPECT_EQ(outcome.err.find('\n'), outcome.err.size() - 1) << outcome.err;
  EXPECT_NE(outcome.err.find(mentions), std::string::npos) << outcome.err;
}

TEST(WorkerCliTest, FanoutJsonCountsCallsByStatusAndInstance) {
  std::atomic<int> served{0};
  LoopbackHttpServer server([&served](const LoopbackRequest&) {
    int n = served++;
    LoopbackResponse response;
    response.instance = n % 3 == 0 ? "web-0" : "web-1";
    response.status = n % 5 == 4 ? 503 : 200;
    return response;
  });

  Outcome outcome = RunWorker({"fanout", "--url", server.Url("/receiver?timestamp=5"), "--calls",
                               "150", "--concurrency", "6", "--json"});

  ASSERT_EQ(outcome.exit_code, 0) << outcome.err;
  nlohmann::json report = nlohmann::json::parse(outcome.out);
  EXPECT_EQ(report["calls"], 150);
  EXPECT_EQ(report["calls_made"], 150);
  EXPECT_EQ(report["concurrency"], 6);
  EXPECT_EQ(report["succeeded"], 120);
  EXPECT_EQ(report["failed"], 30);
  EXPECT_EQ(report["by_status"], (nlohmann::json{{"200", 120}, {"503", 30}}));
  EXPECT_EQ(report["instances"], (nlohmann::json{{"web-0", 50}, {"web-1", 100}}));
  EXPECT_EQ(report["errors"], nlohmann::json::object());
  EXPECT_EQ(report["cancelled"], false);
  double p50 = report["latency_ms"]["p50"], p99 = report["latency_ms"]["p99"];
  EXPECT_GT(p50, 0);
  EXPECT_LE(p50, p99);
  EXPECT_GT(report["calls_per_second"].get<double>(), 0);
  EXPECT_EQ(server.requests(), 150);
  EXPECT_LE(server.max_in_flight(), 6);
  EXPECT_EQ(server.last_request().target, "/receiver?timestamp=5");
}

TEST(WorkerCliTest, FanoutTextSummaryNamesInstancesAndStatuses) {
  LoopbackResponse fixed;
  fixed.instance = "web-7";
  LoopbackHttpServer server(fixed);

  Outcome outcome =
      RunWorker({"fanout", "--url=" + server.Url("/"), "--calls=20", "--concurrency=2"});

  ASSERT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_NE(outcome.out.find("Calls:        20 of 20 (concurrency 2)"), std::string::npos)
      << outcome.out;
  EXPECT_NE(outcome.out.find("[200]\t20 responses"), std::string::npos) << outcome.out;
  EXPECT_NE(outcome.out.find("[web-7]\t20 responses"), std::string::npos) << outcome.out;
  EXPECT_NE(outcome.out.find("99% in "), std::string::npos) << outcome.out;
}

TEST(WorkerCliTest, FanoutCountsUnansweredCallsAsErrorsWithoutCredentials) {
  int port = 0;
  {
    LoopbackHttpServer closed;
    port = closed.port();
  }  // nothing listens there any more

  Outcome outcome =
      RunWorker({"fanout", "--url", "http://ops:t0p-secret@127.0.0.1:" + std::to_string(port) + "/",
                 "--calls", "4", "--concurrency", "2", "--json"});

  ASSERT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_EQ(outcome.out.find("t0p-secret"), std::string::npos) << outcome.out;
  nlohmann::json report = nlohmann::json::parse(outcome.out);
  EXPECT_EQ(report["failed"], 4);
  EXPECT_EQ(report["by_status"], (nlohmann::json{{"0", 4}}));
  ASSERT_EQ(report["errors"].size(), 1u);
  EXPECT_EQ(report["errors"].begin().value(), 4);
}

TEST(WorkerCliTest, FanoutTextSaysSoWhenNoCallWasAnswered) {
  int port = 0;
  {
    LoopbackHttpServer closed;
    port = closed.port();
  }  // nothing listens there any more

  Outcome outcome = RunWorker({"fanout", "--url", "http://127.0.0.1:" + std::to_string(port) + "/",
                               "--calls", "3", "--concurrency", "1"});

  ASSERT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_NE(outcome.out.find("no call was answered"), std::string::npos) << outcome.out;
  EXPECT_EQ(outcome.out.find("50% in"), std::string::npos) << outcome.out;
}

TEST(WorkerCliTest, FanoutWithoutUrlFails) {
  ExpectOneLineReason(RunWorker({"fanout", "--calls", "5"}), "--url");
}

TEST(WorkerCliTest, FanoutWithOtherSchemeFails) {
  ExpectOneLineReason(RunWorker({"fanout", "--url", "file:///etc/passwd", "--calls", "5"}),
                      "http://");
  ExpectOneLineReason(RunWorker({"fanout", "--url", "127.0.0.1:8080/", "--calls", "5"}), "http://");
}

TEST(WorkerCliTest, FanoutWithBadCallsFails) {
  for (const char* calls : {"0", "-3", "abc", "12x", ""}) {
    ExpectOneLineReason(RunWorker({"fanout", "--url", "http://127.0.0.1:1/", "--calls", calls}),
                        "--calls");
  }
  ExpectOneLineReason(RunWorker({"fanout", "--url", "http://127.0.0.1:1/"}), "--calls");
}

TEST(WorkerCliTest, FanoutWithConcurrencyOutOfRangeFails) {
  for (const char* concurrency : {"0", "1025", "many"}) {
    ExpectOneLineReason(RunWorker({"fanout", "--url", "http://127.0.0.1:1/", "--calls", "5",
                                   "--concurrency", concurrency}),
                        "--concurrency");
  }
}

TEST(WorkerCliTest, FanoutWithUnknownFlagFails) {
  ExpectOneLineReason(
      RunWorker({"fanout", "--url", "http://127.0.0.1:1/", "--calls", "5", "--burst"}), "--burst");
}

TEST(WorkerCliTest, UnknownCommandFails) {
  ExpectOneLineReason(RunWorker({"explode"}), "explode");
}

TEST(WorkerCliTest, VersionAndHelpSucceed) {
  Outcome version = RunWorker({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out.rfind("pcfdemo-worker ", 0), 0u) << version.out;

  Outcome help = RunWorker({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("fanout"), std::string::npos);
  EXPECT_NE(help.out.find("request"), std::string::npos);
}

TEST(WorkerCliTest, RequestWithoutMemcachedFails) {
  ExpectOneLineReason(RunWorker({"request"}), "--memcached");
}

TEST(WorkerCliTest, RequestWithUnknownFlagFails) {
  ExpectOneLineReason(RunWorker({"request", "--memcached", "127.0.0.1:1", "--bogus"}), "--bogus");
}

// A database that is down when the worker starts is waited for, as the web does, not a
// reason to exit: the worker says why, without the password, and still stops cleanly.
TEST(WorkerCliTest, RequestWaitsForAnUnreachableDatabase) {
  if (!testing::MemcachedServer::Available()) GTEST_SKIP() << "memcached is not installed";
  testing::MemcachedServer memcached;
  memcached.Start();
  int closed_port = test::FreeLoopbackPort();
  const std::string password = "Sup3rSecretPw";
  std::string log_path = (std::filesystem::path(::testing::TempDir()) /
                          ("pcfdemo-request-worker-" + std::to_string(getpid()) + ".log"))
                             .string();
  test::ChildProcess worker(
      {PCFDEMO_WORKER_BINARY, "request", "--memcached", memcached.address(), "--database",
       "mysql://pcfdemo:" + password + "@127.0.0.1:" + std::to_string(closed_port) + "/pcfdemo"},
      log_path);

  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (worker.Running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(worker.Running()) << worker.Log();
  std::optional<int> exit_status = worker.Stop();
  std::string log = worker.Log();
  std::filesystem::remove(log_path);
  EXPECT_EQ(exit_status, std::optional<int>(0)) << log;
  EXPECT_NE(log.find("not reachable yet, retrying"), std::string::npos) << log;
  EXPECT_EQ(log.find(password), std::string::npos) << log;
}

}  // namespace
}  // namespace pcfdemo
