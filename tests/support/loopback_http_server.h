// LoopbackHttpServer is a tiny HTTP/1.1 server for tests: it listens on 127.0.0.1 on a free
// port, keeps connections alive, and answers every GET with what a responder function
// returns (by default a fixed response naming an instance in the X-Pcfdemo-Instance
// header). It counts connections, requests and the most requests in flight at once.
//
// Header-only so every test executable can use it. One thread accepts, one thread serves
// each connection; the destructor stops and joins them all. Thread-safe.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace pcfdemo::test {

struct LoopbackRequest {
  std::string method;
  std::string target;  // path and query, as sent
  std::vector<std::pair<std::string, std::string>> headers;

  // The value of header `name` (case-insensitive), empty when absent.
  std::string Header(const std::string& name) const {
    for (const auto& [key, value] : headers) {
      if (key.size() == name.size() &&
          std::equal(key.begin(), key.end(), name.begin(),
                     [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
        return value;
      }
    }
    return {};
  }
};

struct LoopbackResponse {
  int status = 200;
  std::string instance = "loopback-0";  // sent as X-Pcfdemo-Instance unless empty
  std::string body = "{\"ok\":true}";
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
  std::chrono::milliseconds delay{0};                        // wait this long before answering
  bool close = false;                                        // close the connection after answering
};

class LoopbackHttpServer {
 public:
  using Responder = std::function<LoopbackResponse(const LoopbackRequest&)>;

  // Answers every request with `fixed`.
  explicit LoopbackHttpServer(LoopbackResponse fixed = {})
      : LoopbackHttpServer([fixed](const LoopbackRequest&) { return fixed; }) {}

  // Answers each request with what `responder` returns; it is called from the connection
  // threads, concurrently. Throws std::runtime_error if no socket can be opened.
  explicit LoopbackHttpServer(Responder responder) : responder_(std::move(responder)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listen_fd_ < 0) throw std::runtime_error("loopback server: socket failed");
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;  // the kernel picks a free port
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
        ::listen(listen_fd_, 128) != 0) {
      ::close(listen_fd_);
      throw std::runtime_error("loopback server: bind/listen failed");
    }
    socklen_t length = sizeof(address);
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    acceptor_ = std::thread([this] { AcceptLoop(); });
  }

  LoopbackHttpServer(const LoopbackHttpServer&) = delete;
  LoopbackHttpServer& operator=(const LoopbackHttpServer&) = delete;

  ~LoopbackHttpServer() { Stop(); }

  // Stops accepting, closes every connection and joins every thread. Idempotent.
  void Stop() {
    if (stopping_.exchange(true)) return;
    if (acceptor_.joinable()) acceptor_.join();
    std::list<std::thread> connections;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      connections.swap(connection_threads_);
    }
    for (auto& thread : connections) thread.join();
    ::close(listen_fd_);
  }

  int port() const { return port_; }

  // "http://127.0.0.1:<port><path>".
  std::string Url(const std::string& path = "/") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

  int64_t connections() const { return connections_.load(); }
  int64_t requests() const { return requests_.load(); }
  int64_t max_in_flight() const { return max_in_flight_.load(); }

  // The last request received (a copy).
  LoopbackRequest last_request() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return last_request_;
  }

 private:
  static constexpr int kPollMillis = 20;  // how often blocked threads look at stopping_

  void AcceptLoop() {
    while (!stopping_.load()) {
      pollfd listening{listen_fd_, POLLIN, 0};
      if (::poll(&listening, 1, kPollMillis) <= 0) continue;
      int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      ++connections_;
      std::lock_guard<std::mutex> lock(mutex_);
      connection_threads_.emplace_back([this, fd] { Serve(fd); });
    }
  }

  // Waits until `fd` is readable; false when stopping or on a hang-up without data.
  bool WaitReadable(int fd) {
    while (!stopping_.load()) {
      pollfd connection{fd, POLLIN, 0};
      int ready = ::poll(&connection, 1, kPollMillis);
      if (ready > 0) return true;
      if (ready < 0 && errno != EINTR) return false;
    }
    return false;
  }

  // Sleeps for `delay` unless the server stops first.
  void Delay(std::chrono::milliseconds delay) {
    auto until = std::chrono::steady_clock::now() + delay;
    while (!stopping_.load() && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(
          std::min<int64_t>(kPollMillis, std::chrono::duration_cast<std::chrono::milliseconds>(
                                             until - std::chrono::steady_clock::now())
                                                 .count() +
                                             1)));
    }
  }

  static bool SendAll(int fd, const std::string& data) {
    size_t sent = 0;
    while (sent < data.size()) {
      ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      sent += static_cast<size_t>(n);
    }
    return true;
  }

  static LoopbackRequest Parse(const std::string& head) {
    LoopbackRequest request;
    size_t line_end = head.find("\r\n");
    std::string request_line = head.substr(0, line_end);
    size_t first_space = request_line.find(' ');
    size_t second_space = request_line.find(' ', first_space + 1);
    request.method = request_line.substr(0, first_space);
    if (first_space != std::string::npos) {
      request.target = request_line.substr(first_space + 1, second_space - first_space - 1);
    }
    size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
    while (pos < head.size()) {
      size_t end = head.find("\r\n", pos);
      if (end == std::string::npos) end = head.size();
      std::string line = head.substr(pos, end - pos);
      size_t colon = line.find(':');
      if (colon != std::string::npos) {
        size_t value_start = line.find_first_not_of(' ', colon + 1);
        request.headers.emplace_back(line.substr(0, colon), value_start == std::string::npos
                                                                ? std::string()
                                                                : line.substr(value_start));
      }
      pos = end + 2;
    }
    return request;
  }

  static std::string Reason(int status) {
    switch (status) {
      case 200:
        return "OK";
      case 204:
        return "No Content";
      case 302:
        return "Found";
      case 404:
        return "Not Found";
      case 500:
        return "Internal Server Error";
      case 503:
        return "Service Unavailable";
      default:
        return "Status";
    }
  }

  void Serve(int fd) {
    std::string buffer;
    char chunk[4096];
    bool open = true;
    while (open && !stopping_.load()) {
      size_t head_end = buffer.find("\r\n\r\n");
      if (head_end == std::string::npos) {
        if (buffer.size() > 64 * 1024 || !WaitReadable(fd)) break;
        ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        buffer.append(chunk, static_cast<size_t>(n));
        continue;
      }
      LoopbackRequest request = Parse(buffer.substr(0, head_end));
      buffer.erase(0, head_end + 4);  // GETs carry no body

      int64_t in_flight = ++in_flight_;
      int64_t seen = max_in_flight_.load();
      while (in_flight > seen && !max_in_flight_.compare_exchange_weak(seen, in_flight)) {
      }
      ++requests_;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        last_request_ = request;
      }
      LoopbackResponse response = responder_(request);
      Delay(response.delay);

      std::string out =
          "HTTP/1.1 " + std::to_string(response.status) + " " + Reason(response.status) + "\r\n";
      out += "Content-Type: application/json\r\n";
      out += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
      if (!response.instance.empty()) out += "X-Pcfdemo-Instance: " + response.instance + "\r\n";
      for (const auto& [name, value] : response.headers) out += name + ": " + value + "\r\n";
      out += response.close ? "Connection: close\r\n" : "Connection: keep-alive\r\n";
      out += "\r\n";
      out += response.body;
      --in_flight_;
      open = SendAll(fd, out) && !response.close;
    }
    ::close(fd);
  }

  Responder responder_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  mutable std::mutex mutex_;
  std::list<std::thread> connection_threads_;
  LoopbackRequest last_request_;
  std::atomic<int64_t> connections_{0};
  std::atomic<int64_t> requests_{0};
  std::atomic<int64_t> in_flight_{0};
  std::atomic<int64_t> max_in_flight_{0};
};

}  // namespace pcfdemo::test
