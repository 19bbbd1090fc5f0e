#include "support/http_test_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

namespace pcfdemo::test {
namespace {

using Clock = std::chrono::steady_clock;

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

int MillisLeft(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::max<int64_t>(0, left.count()));
}

// Parses a complete response; returns false if `raw` holds no complete head yet.
bool Parse(const std::string& raw, HttpTestResponse* response) {
  size_t head_end = raw.find("\r\n\r\n");
  if (head_end == std::string::npos) return false;
  std::string head = raw.substr(0, head_end);
  size_t line_end = head.find("\r\n");
  std::string status_line = head.substr(0, line_end);
  size_t space = status_line.find(' ');
  if (space == std::string::npos) return false;
  response->status = std::atoi(status_line.c_str() + space + 1);
  size_t at = line_end == std::string::npos ? head.size() : line_end + 2;
  while (at < head.size()) {
    size_t next = head.find("\r\n", at);
    if (next == std::string::npos) next = head.size();
    std::string line = head.substr(at, next - at);
    size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(" \t"));
      response->headers.emplace_back(line.substr(0, colon), value);
    }
    at = next + 2;
  }
  response->body = raw.substr(head_end + 4);
  std::string length = response->Header("Content-Length");
  if (!length.empty()) {
    size_t expected = std::stoul(length);
    if (response->body.size() < expected) return false;
    response->body.resize(expected);
  }
  return true;
}

}  // namespace

std::string HttpTestResponse::Header(const std::string& name) const {
  std::string wanted = Lower(name);
  for (const auto& [key, value] : headers) {
    if (Lower(key) == wanted) return value;
  }
  return "";
}

HttpTestResponse HttpTestRequest(int port, const std::string& method, const std::string& target,
                                 const std::string& body, const HttpTestHeaders& headers,
                                 std::chrono::milliseconds timeout) {
  HttpTestResponse response;
  Clock::time_point deadline = Clock::now() + timeout;

  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    response.error = std::string("socket: ") + std::strerror(errno);
    return response;
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 &&
      errno != EINPROGRESS) {
    response.error = std::string("connect: ") + std::strerror(errno);
    close(fd);
    return response;
  }
  pollfd writable{fd, POLLOUT, 0};
  if (poll(&writable, 1, MillisLeft(deadline)) != 1) {
    response.error = "connect: timed out";
    close(fd);
    return response;
  }
  int connect_error = 0;
  socklen_t length = sizeof(connect_error);
  getsockopt(fd, SOL_SOCKET, SO_ERROR, &connect_error, &length);
  if (connect_error != 0) {
    response.error = std::string("connect: ") + std::strerror(connect_error);
    close(fd);
    return response;
  }

  std::string request = method + " " + target +
                        " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                        "\r\nConnection: close\r\n";
  for (const auto& [name, value] : headers) request += name + ": " + value + "\r\n";
  if (!body.empty() || method == "POST" || method == "PUT") {
    request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  request += "\r\n" + body;

  size_t sent = 0;
  while (sent < request.size()) {
    pollfd ready{fd, POLLOUT, 0};
    if (poll(&ready, 1, MillisLeft(deadline)) != 1) {
      response.error = "send: timed out";
      close(fd);
      return response;
    }
    ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
      response.error = std::string("send: ") + std::strerror(errno);
      close(fd);
      return response;
    }
    if (n > 0) sent += static_cast<size_t>(n);
  }

  std::string raw;
  char buffer[16384];
  while (true) {
    pollfd ready{fd, POLLIN, 0};
    if (poll(&ready, 1, MillisLeft(deadline)) != 1) {
      response.error = "receive: timed out";
      break;
    }
    ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n <= 0) break;  // closed (or failed): parse what arrived
    raw.append(buffer, static_cast<size_t>(n));
    HttpTestResponse parsed;
    if (Parse(raw, &parsed) && !parsed.Header("Content-Length").empty()) {
      close(fd);
      return parsed;
    }
  }
  close(fd);
  HttpTestResponse parsed;
  if (Parse(raw, &parsed)) return parsed;
  if (response.error.empty()) response.error = "the connection closed without a full response";
  response.status = 0;
  return response;
}

HttpTestResponse HttpTestGet(int port, const std::string& target) {
  return HttpTestRequest(port, "GET", target);
}

HttpTestResponse HttpTestSendJson(int port, const std::string& method, const std::string& target,
                                  const std::string& body) {
  return HttpTestRequest(port, method, target, body, {{"Content-Type", "application/json"}});
}

int FreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = 0;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int port = 0;
  socklen_t length = sizeof(address);
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  close(fd);
  return port;
}

}  // namespace pcfdemo::test
