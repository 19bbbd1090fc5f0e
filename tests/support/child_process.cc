#include "support/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace pcfdemo::test {
namespace {

bool ConfiguresPcfdemo(const std::string& name) {
  for (const char* prefix : {"PCFDEMO_", "VCAP_", "CF_INSTANCE_"}) {
    if (name.rfind(prefix, 0) == 0) return true;
  }
  return name == "PORT" || name == "INSTANCE_INDEX" || name == "SERVICE_BINDING_ROOT";
}

}  // namespace

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const std::string& log_path,
                           const std::map<std::string, std::string>& extra_env)
    : log_path_(log_path) {
  std::vector<std::string> env_strings;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    std::string text = *entry;
    if (!ConfiguresPcfdemo(text.substr(0, text.find('=')))) env_strings.push_back(text);
  }
  for (const auto& [name, value] : extra_env) env_strings.push_back(name + "=" + value);

  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  std::vector<char*> envp;
  for (const std::string& text : env_strings) envp.push_back(const_cast<char*>(text.c_str()));
  envp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  int error = posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (error != 0) {
    throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(error));
  }
}

ChildProcess::~ChildProcess() {
  if (!Reap(false)) {
    kill(pid_, SIGKILL);
    Reap(true);
  }
}

bool ChildProcess::Reap(bool block) {
  if (exited_) return true;
  int status = 0;
  pid_t done = waitpid(pid_, &status, block ? 0 : WNOHANG);
  if (done == pid_) {
    exited_ = true;
    wait_status_ = status;
  }
  return exited_;
}

bool ChildProcess::Running() {
  return !Reap(false);
}

std::optional<int> ChildProcess::Stop(std::chrono::milliseconds grace) {
  if (!Reap(false)) {
    kill(pid_, SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + grace;
    while (!Reap(false) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (!Reap(false)) {
      kill(pid_, SIGKILL);
      Reap(true);
    }
  }
  if (WIFEXITED(wait_status_)) return WEXITSTATUS(wait_status_);
  return std::nullopt;
}

std::string ChildProcess::Log() const {
  std::ifstream file(log_path_);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

}  // namespace pcfdemo::test
