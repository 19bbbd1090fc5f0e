// `pcfdemo-worker cpu` as an operator runs it: refusing bad input, burning directly for a
// duration or until SIGTERM, and following the switch in a memcached the test starts on
// loopback. Only short, light burns (10 % of one thread) run here; nothing asserts timing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "support/child_process.h"
#include "support/memcached_server.h"

namespace pcfdemo {
namespace {

using test::ChildProcess;
using ::testing::HasSubstr;
using ::testing::Not;

std::string LogPath(const std::string& name) {
  return ::testing::TempDir() + "cpu_worker_cli_" + name + "_" + std::to_string(getpid()) + ".log";
}

// Waits (bounded) for the child to exit by itself and returns its status.
std::optional<int> WaitForExit(ChildProcess* child, std::chrono::seconds limit) {
  for (int i = 0; i < limit.count() * 20 && child->Running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return child->Stop(std::chrono::milliseconds(100));
}

template <typename Condition>
bool WaitUntil(Condition condition, std::chrono::seconds limit) {
  for (int i = 0; i < limit.count() * 20; ++i) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return condition();
}

TEST(CpuWorkerCliTest, RefusesBadTargetsDurationsAndThreadsWithAReason) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--target", "0"}, "from 1 to 100; got 0"},
      {{"--target", "101"}, "from 1 to 100; got 101"},
      {{"--target", "-5"}, "from 1 to 100; got -5"},
      {{"--target", "abc"}, "from 1 to 100; got \"abc\""},
      {{"--target", "50", "--duration", "0"}, "seconds from 1 to 86400"},
      {{"--target", "50", "--duration", "99999999"}, "seconds from 1 to 86400"},
      {{"--target", "50", "--threads", "0"}, "--threads must be"},
      {{"--target"}, "--target needs a value"},
  };
  int index = 0;
  for (const auto& [args, reason] : cases) {
    std::vector<std::string> argv = {PCFDEMO_WORKER_BINARY, "cpu"};
    argv.insert(argv.end(), args.begin(), args.end());
    ChildProcess child(argv, LogPath("bad" + std::to_string(index++)));
    EXPECT_EQ(WaitForExit(&child, std::chrono::seconds(10)), 2) << args[0];
    EXPECT_THAT(child.Log(), HasSubstr(reason));
    EXPECT_THAT(child.Log(), Not(HasSubstr("burning")));
  }
}

TEST(CpuWorkerCliTest, FollowingTheSwitchNeedsAMemcached) {
  ChildProcess child({PCFDEMO_WORKER_BINARY, "cpu"}, LogPath("nostore"));
  EXPECT_EQ(WaitForExit(&child, std::chrono::seconds(10)), 2);
  EXPECT_THAT(child.Log(), HasSubstr("needs --memcached"));
}

TEST(CpuWorkerCliTest, BurnsDirectlyForTheDurationThenExits) {
  ChildProcess child(
      {PCFDEMO_WORKER_BINARY, "cpu", "--target", "10", "--threads", "1", "--duration", "1"},
      LogPath("direct"));
  EXPECT_EQ(WaitForExit(&child, std::chrono::seconds(15)), 0);
  EXPECT_THAT(child.Log(), HasSubstr("burning 1 thread(s) at 10% for 1 s"));
  EXPECT_THAT(child.Log(), HasSubstr("burner stopped (duration over)"));
}

TEST(CpuWorkerCliTest, DirectBurnStopsOnSigterm) {
  ChildProcess child(
      {PCFDEMO_WORKER_BINARY, "cpu", "--target", "10", "--threads", "1", "--duration", "600"},
      LogPath("sigterm"));
  ASSERT_TRUE(WaitUntil([&] { return child.Log().find("burning") != std::string::npos; },
                        std::chrono::seconds(10)));
  EXPECT_EQ(child.Stop(std::chrono::seconds(5)), 0);
  EXPECT_THAT(child.Log(), HasSubstr("stopped by SIGTERM"));
}

TEST(CpuWorkerCliTest, FollowsTheSwitchInMemcachedAndReportsItself) {
  if (!testing::MemcachedServer::Available()) GTEST_SKIP() << "memcached is not installed";
  testing::MemcachedServer memcached;
  memcached.Start();

  ChildProcess child({PCFDEMO_WORKER_BINARY, "cpu", "--threads", "1", "--poll-interval-ms", "100"},
                     LogPath("switch"), {{"PCFDEMO_MEMCACHED", memcached.address()}});
  ASSERT_TRUE(WaitUntil([&] { return child.Log().find("started") != std::string::npos; },
                        std::chrono::seconds(10)))
      << child.Log();

  // ON with a light target, written as pcfdemo-web writes it.
  const std::string expires =
      std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count() +
                     600);
  memcached.RawTextCommand("set pcfdemo.cpuTarget 0 600 2\r\n10\r\n");
  memcached.RawTextCommand("set pcfdemo.cpuExpiresAt 0 600 " + std::to_string(expires.size()) +
                           "\r\n" + expires + "\r\n");
  memcached.RawTextCommand("set CPULoad 0 600 2\r\nON\r\n");
  EXPECT_TRUE(WaitUntil(
      [&] {
        return memcached.RawTextCommand("get pcfdemo.burners\r\n").find("VALUE") !=
               std::string::npos;
      },
      std::chrono::seconds(10)));
  EXPECT_THAT(child.Log(), HasSubstr("CPU load ON: burning 1 thread(s) at 10%"));

  memcached.RawTextCommand("set CPULoad 0 0 3\r\nOFF\r\n");
  EXPECT_TRUE(WaitUntil(
      [&] { return child.Log().find("CPU load OFF: burner stopped") != std::string::npos; },
      std::chrono::seconds(10)))
      << child.Log();

  EXPECT_EQ(child.Stop(std::chrono::seconds(5)), 0);
  EXPECT_THAT(child.Log(), HasSubstr("stopped"));
}

}  // namespace
}  // namespace pcfdemo
