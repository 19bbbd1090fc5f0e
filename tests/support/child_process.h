// ChildProcess runs a program of this project (pcfdemo-web, pcfdemo-worker) for an
// end-to-end test: standard output and error go to a log file the test can show when it
// fails, the environment is this process's minus every variable that would configure
// pcfdemo (PORT, PCFDEMO_*, VCAP_*, CF_INSTANCE_*, INSTANCE_INDEX, SERVICE_BINDING_ROOT) plus
// the ones given. The destructor kills and reaps a child that is still running.
//
// Not thread-safe: drive it from the test's thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace pcfdemo::test {

class ChildProcess {
 public:
  // Starts `argv[0]` (a path) with the other elements as arguments. Throws
  // std::runtime_error if it cannot be started.
  ChildProcess(const std::vector<std::string>& argv, const std::string& log_path,
               const std::map<std::string, std::string>& extra_env = {});
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  // True while the child has not exited.
  bool Running();

  // Sends SIGTERM and waits up to `grace` for the exit; then SIGKILL. Returns the exit
  // status if the child exited by itself, nullopt if it was killed by a signal.
  std::optional<int> Stop(std::chrono::milliseconds grace = std::chrono::seconds(10));

  pid_t pid() const { return pid_; }

  // What the child wrote so far.
  std::string Log() const;

 private:
  // Waits without blocking; records the exit once it happened.
  bool Reap(bool block);

  pid_t pid_ = -1;
  std::string log_path_;
  bool exited_ = false;
  int wait_status_ = 0;
};

}  // namespace pcfdemo::test
