#include "support/memcached_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "support/test_host.h"

namespace pcfdemo::testing {
namespace {

namespace fs = std::filesystem;

// A connected socket to 127.0.0.1:port with two-second send and receive timeouts, or -1.
int ConnectLoopback(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  timeval timeout{2, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

std::string MakeTempDir() {
  char pattern[] = "/tmp/pcfdemo-memcached-XXXXXX";
  if (mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp failed");
  return pattern;
}

bool IsFinalLine(const std::string& line) {
  for (const char* word : {"END", "STORED", "NOT_STORED", "EXISTS", "NOT_FOUND", "DELETED", "OK"}) {
    if (line == word) return true;
  }
  for (const char* prefix : {"ERROR", "CLIENT_ERROR", "SERVER_ERROR"}) {
    if (line.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

}  // namespace

bool MemcachedServer::Available(bool with_sasl) {
  if (FindProgram("memcached").empty()) return false;
  return !with_sasl || !FindProgram("saslpasswd2").empty();
}

MemcachedServer::MemcachedServer(Options options) : options_(std::move(options)) {
  port_ = PickFreeLoopbackPort();
  work_dir_ = MakeTempDir();
  if (!options_.sasl_username.empty()) PrepareSasl();
}

MemcachedServer::~MemcachedServer() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  std::error_code error;
  fs::remove_all(work_dir_, error);
}

std::string MemcachedServer::address() const {
  return "127.0.0.1:" + std::to_string(port_);
}

void MemcachedServer::PrepareSasl() {
  std::string sasldb = work_dir_ + "/memcached-sasl.db";
  std::string saslpasswd2 = FindProgram("saslpasswd2");
  if (saslpasswd2.empty()) throw std::runtime_error("saslpasswd2 not found");

  // The password goes through a pipe (-p reads it from standard input), never argv.
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) throw std::runtime_error("pipe failed");
  pid_t child = fork();
  if (child < 0) throw std::runtime_error("fork failed");
  if (child == 0) {
    dup2(pipe_fds[0], STDIN_FILENO);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    int null_fd = open("/dev/null", O_WRONLY);
    if (null_fd >= 0) {
      dup2(null_fd, STDOUT_FILENO);
      dup2(null_fd, STDERR_FILENO);
    }
    execl(saslpasswd2.c_str(), "saslpasswd2", "-a", "memcached", "-c", "-p", "-f", sasldb.c_str(),
          options_.sasl_username.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(pipe_fds[0]);
  std::string password = options_.sasl_password;
  ssize_t written = write(pipe_fds[1], password.data(), password.size());
  close(pipe_fds[1]);
  int status = 0;
  waitpid(child, &status, 0);
  if (written != static_cast<ssize_t>(password.size()) || !WIFEXITED(status) ||
      WEXITSTATUS(status) != 0) {
    throw std::runtime_error("saslpasswd2 failed to create the test sasldb");
  }

  std::ofstream conf(work_dir_ + "/memcached.conf");
  conf << "mech_list: plain\n"
       << "sasldb_path: " << sasldb << "\n";
  if (!conf) throw std::runtime_error("cannot write the SASL config");
}

void MemcachedServer::Start() {
  if (pid_ > 0) return;
  std::string binary = FindProgram("memcached");
  if (binary.empty()) throw std::runtime_error("memcached not found");
  std::string port = std::to_string(port_);
  std::string log = work_dir_ + "/memcached.log";

  std::vector<std::string> args = {binary, "-l", "127.0.0.1", "-p", port, "-U",
                                   "0",    "-m", "64",        "-t", "2"};
  if (geteuid() == 0) {
    args.push_back("-u");
    args.push_back("root");
  }
  if (!options_.sasl_username.empty()) args.push_back("-S");
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);

  std::string conf_path = "SASL_CONF_PATH=" + work_dir_;
  std::vector<char*> envp;
  envp.push_back(conf_path.data());
  envp.push_back(nullptr);

  pid_t child = fork();
  if (child < 0) throw std::runtime_error("fork failed");
  if (child == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the test process
    int log_fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (log_fd >= 0) {
      dup2(log_fd, STDOUT_FILENO);
      dup2(log_fd, STDERR_FILENO);
    }
    int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd >= 0) dup2(null_fd, STDIN_FILENO);
    execve(binary.c_str(), argv.data(), envp.data());
    _exit(127);
  }
  pid_ = child;

  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      std::ifstream in(log);
      std::stringstream text;
      text << in.rdbuf();
      throw std::runtime_error("memcached exited at start: " + text.str());
    }
    int fd = ConnectLoopback(port_);
    if (fd >= 0) {
      close(fd);
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  Stop();
  throw std::runtime_error("memcached did not accept connections within 5 s");
}

void MemcachedServer::Stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

void MemcachedServer::Pause() {
  if (pid_ <= 0) return;
  kill(pid_, SIGSTOP);
  // SIGSTOP lands asynchronously: wait until the kernel reports the process stopped, so a
  // request sent after Pause() can never be answered.
  std::string stat_path = "/proc/" + std::to_string(pid_) + "/stat";
  for (int i = 0; i < 2000; ++i) {
    std::ifstream stat(stat_path);
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    size_t end_of_name = text.rfind(')');
    if (end_of_name != std::string::npos && end_of_name + 2 < text.size() &&
        (text[end_of_name + 2] == 'T' || text[end_of_name + 2] == 't')) {
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

void MemcachedServer::Resume() {
  if (pid_ > 0) kill(pid_, SIGCONT);
}

std::string MemcachedServer::RawTextCommand(const std::string& request) const {
  int fd = ConnectLoopback(port_);
  if (fd < 0) throw std::runtime_error("cannot connect to memcached at " + address());
  size_t sent = 0;
  while (sent < request.size()) {
    ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      close(fd);
      throw std::runtime_error("cannot send to memcached");
    }
    sent += static_cast<size_t>(n);
  }

  std::string answer;
  size_t line_start = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  char buffer[4096];
  while (std::chrono::steady_clock::now() < deadline) {
    ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
    if (n <= 0) break;
    answer.append(buffer, static_cast<size_t>(n));
    size_t end;
    while ((end = answer.find("\r\n", line_start)) != std::string::npos) {
      std::string line = answer.substr(line_start, end - line_start);
      line_start = end + 2;
      unsigned flags = 0;
      size_t bytes = 0;
      char key[251];
      if (std::sscanf(line.c_str(), "VALUE %250s %u %zu", key, &flags, &bytes) == 3) {
        // Skip the data block, which may itself look like a final line.
        if (answer.size() < line_start + bytes + 2) {
          line_start -= line.size() + 2;  // wait for the rest of the block
          break;
        }
        line_start += bytes + 2;
        continue;
      }
      if (IsFinalLine(line)) {
        close(fd);
        return answer;
      }
    }
  }
  close(fd);
  return answer;
}

}  // namespace pcfdemo::testing
