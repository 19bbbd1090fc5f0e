// A small blocking HTTP/1.1 client for tests that talk to a server on 127.0.0.1: one
// request per connection (Connection: close), any method, any body and headers, a deadline
// for the whole exchange. It never throws; a failure is reported in `error` with status 0.
// libcurl is linked into libpcfdemo privately, so tests cannot use it for POST and PUT.
//
// Thread-safe: each call uses its own socket.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace pcfdemo::test {

struct HttpTestResponse {
  int status = 0;  // 0 when no response arrived
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string error;  // why no response arrived; empty otherwise

  // The value of header `name` (case-insensitive), empty when absent.
  std::string Header(const std::string& name) const;
};

using HttpTestHeaders = std::vector<std::pair<std::string, std::string>>;

// Sends `method target` to 127.0.0.1:`port` with `headers` and `body` (Content-Length is
// added when the body is not empty) and reads the whole response.
HttpTestResponse HttpTestRequest(int port, const std::string& method, const std::string& target,
                                 const std::string& body = "", const HttpTestHeaders& headers = {},
                                 std::chrono::milliseconds timeout = std::chrono::seconds(10));

HttpTestResponse HttpTestGet(int port, const std::string& target);

// POST (or another method) with Content-Type: application/json.
HttpTestResponse HttpTestSendJson(int port, const std::string& method, const std::string& target,
                                  const std::string& body);

// A TCP port on 127.0.0.1 that was free a moment ago.
int FreeLoopbackPort();

}  // namespace pcfdemo::test
