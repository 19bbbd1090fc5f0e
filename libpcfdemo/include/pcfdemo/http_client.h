// HttpClient makes the calls of a request run: one GET with a timeout. Restricted to
// http and https; redirects are not followed to other hosts.
//
// Implementations are safe for concurrent calls from multiple threads; each thread may
// keep its own connections for reuse.
#pragma once

#include <chrono>
#include <string>

namespace pcfdemo {

// The response header in which a pcfdemo receiver names the instance that answered.
inline constexpr char kInstanceHeader[] = "X-Pcfdemo-Instance";

struct HttpResponse {
  int status = 0;         // HTTP status; 0 when no response arrived
  double latency_ms = 0;  // from the start of the call to the end of the response
  std::string instance;   // the kInstanceHeader value, empty if absent
  std::string error;      // empty on a response; otherwise why none arrived
};

class HttpClient {
 public:
  HttpClient() = default;
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;
  virtual ~HttpClient() = default;

  // GETs `url` and returns what came back. Never throws for network failures: they are
  // reported in `error` with status 0. REQUIRES: url is an absolute http or https URL.
  virtual HttpResponse Get(const std::string& url, std::chrono::milliseconds timeout) = 0;
};

}  // namespace pcfdemo
