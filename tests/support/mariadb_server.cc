#include "support/mariadb_server.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "support/test_host.h"

namespace pcfdemo::testing {
namespace {

constexpr auto kStartTimeout = std::chrono::seconds(60);
constexpr auto kStopTimeout = std::chrono::seconds(30);

std::vector<char*> ArgvOf(std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  return argv;
}

// Runs a program to completion and returns its exit status (-1 if it did not exit normally),
// with its stdout and stderr in `output`.
int RunProgram(std::vector<std::string> args, std::string* output) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) throw std::runtime_error("pipe() failed");
  std::vector<char*> argv = ArgvOf(args);
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork() failed");
  if (pid == 0) {
    dup2(pipe_fds[1], STDOUT_FILENO);
    dup2(pipe_fds[1], STDERR_FILENO);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(pipe_fds[1]);
  output->clear();
  char buffer[4096];
  for (;;) {
    ssize_t n = read(pipe_fds[0], buffer, sizeof(buffer));
    if (n > 0) {
      output->append(buffer, static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  close(pipe_fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string PercentEncode(const std::string& text) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string encoded;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      encoded += static_cast<char>(c);
    } else {
      encoded += '%';
      encoded += kHex[c >> 4];
      encoded += kHex[c & 15];
    }
  }
  return encoded;
}

// A string literal for MariaDB SQL.
std::string SqlLiteral(const std::string& text) {
  std::string literal = "'";
  for (char c : text) {
    if (c == '\'' || c == '\\') literal += '\\';
    literal += c;
  }
  return literal + "'";
}

bool RunningAsRoot() {
  return geteuid() == 0;
}

}  // namespace

std::string MariaDbServer::Unavailable() {
  if (FindProgram("mariadbd").empty()) return "mariadbd not found (package mariadb-server)";
  return "";
}

namespace {

// The path of a tool the fixture needs besides mariadbd; throws if it is missing, since
// a machine with the server but without its tools is broken rather than unequipped.
std::string RequireBinary(const std::string& name) {
  std::string path = FindProgram(name);
  if (path.empty()) throw std::runtime_error(name + " not found beside mariadbd");
  return path;
}

}  // namespace

MariaDbServer& MariaDbServer::Shared() {
  static std::unique_ptr<MariaDbServer> server;
  static std::string failure;
  if (!failure.empty()) throw std::runtime_error(failure);
  if (server == nullptr) {
    try {
      server = std::make_unique<MariaDbServer>();
    } catch (const std::exception& e) {
      failure = e.what();
      throw;
    }
  }
  return *server;
}

MariaDbServer::MariaDbServer() {
  // Short: the socket path must fit in 108 bytes.
  std::string pattern = "/tmp/pcfdemo-mariadb-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  work_dir_ = pattern;
  port_ = PickFreeLoopbackPort();

  std::vector<std::string> install = {RequireBinary("mariadb-install-db"),
                                      "--no-defaults",
                                      "--datadir=" + work_dir_ + "/data",
                                      "--auth-root-authentication-method=normal",
                                      "--skip-test-db",
                                      "--skip-name-resolve"};
  if (RunningAsRoot()) install.push_back("--user=root");
  std::string output;
  if (RunProgram(install, &output) != 0) {
    std::filesystem::remove_all(work_dir_);
    throw std::runtime_error("mariadb-install-db failed: " + output);
  }

  Start();
  Execute("CREATE USER '" + std::string(kUser) + "'@'%' IDENTIFIED BY " + SqlLiteral(kPassword) +
          "; GRANT ALL PRIVILEGES ON *.* TO '" + kUser + "'@'%';");
}

MariaDbServer::~MariaDbServer() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  std::error_code ignored;
  std::filesystem::remove_all(work_dir_, ignored);
}

void MariaDbServer::Launch() {
  std::vector<std::string> args = {FindProgram("mariadbd"),
                                   "--no-defaults",
                                   "--datadir=" + work_dir_ + "/data",
                                   "--port=" + std::to_string(port_),
                                   "--bind-address=127.0.0.1",
                                   "--socket=" + work_dir_ + "/mysqld.sock",
                                   "--pid-file=" + work_dir_ + "/mariadbd.pid",
                                   "--log-error=" + work_dir_ + "/mariadbd.log",
                                   "--tmpdir=" + work_dir_,
                                   "--skip-networking=0",
                                   "--skip-name-resolve",
                                   "--skip-log-bin",
                                   "--innodb-buffer-pool-size=32M",
                                   "--innodb-flush-log-at-trx-commit=2",
                                   "--max-connections=300"};
  if (RunningAsRoot()) args.push_back("--user=root");
  std::vector<char*> argv = ArgvOf(args);
  std::string console_log = work_dir_ + "/console.log";

  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork() failed");
  if (pid == 0) {
    // Dies with the test process even if the test crashes.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    int fd = open(console_log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
      close(fd);
    }
    execv(argv[0], argv.data());
    _exit(127);
  }
  pid_ = pid;
}

void MariaDbServer::WaitUntilReady() {
  auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  std::vector<std::string> ping = {RequireBinary("mariadb-admin"),
                                   "--no-defaults",
                                   "--protocol=socket",
                                   "--socket=" + work_dir_ + "/mysqld.sock",
                                   "--user=root",
                                   "--connect-timeout=2",
                                   "ping"};
  std::string output;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("mariadbd exited while starting: " + LogTail());
    }
    if (RunProgram(ping, &output) == 0) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  throw std::runtime_error("mariadbd did not answer within 60 s: " + LogTail());
}

void MariaDbServer::Start() {
  if (pid_ > 0) return;
  Launch();
  WaitUntilReady();
}

void MariaDbServer::Stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + kStopTimeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

std::string MariaDbServer::url(const std::string& database) const {
  return "mysql://" + std::string(kUser) + ":" + PercentEncode(kPassword) +
         "@127.0.0.1:" + std::to_string(port_) + "/" + database;
}

std::string MariaDbServer::CreateDatabase() {
  std::string name = "pcfdemo_test_" + std::to_string(++databases_created_);
  Execute("CREATE DATABASE `" + name + "`");
  return name;
}

std::string MariaDbServer::Execute(const std::string& sql, const std::string& database) const {
  std::vector<std::string> args = {RequireBinary("mariadb"),
                                   "--no-defaults",
                                   "--protocol=socket",
                                   "--socket=" + work_dir_ + "/mysqld.sock",
                                   "--user=root",
                                   "--batch",
                                   "--skip-column-names",
                                   "--connect-timeout=5"};
  if (!database.empty()) args.push_back("--database=" + database);
  args.push_back("--execute=" + sql);
  std::string output;
  if (RunProgram(args, &output) != 0) throw std::runtime_error("mariadb: " + output);
  return output;
}

std::string MariaDbServer::LogTail() const {
  std::string text;
  for (const char* name : {"/mariadbd.log", "/console.log"}) {
    std::ifstream log(work_dir_ + name);
    std::stringstream contents;
    contents << log.rdbuf();
    text += contents.str();
  }
  constexpr std::size_t kTail = 3000;
  return text.size() > kTail ? text.substr(text.size() - kTail) : text;
}

}  // namespace pcfdemo::testing
