// Checks what a user sends to POST /api/runs before anything is triggered: the content
// type, the JSON body, the limits on calls and concurrency, the strategy, and where the
// calls may go. A destination is an absolute http or https URL without user information
// whose host (and port) is on an allow list, so a run cannot be aimed at arbitrary hosts.
//
// Everything here is a pure function or an immutable value; safe to use from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pcfdemo/config.h"
#include "pcfdemo/strategy.h"
#include "pcfdemo/trigger_store.h"

namespace pcfdemo {

// An absolute http(s) URL split into the parts the allow list looks at.
struct HttpUrl {
  std::string scheme;  // "http" or "https", lower case
  std::string host;    // lower case; an IPv6 address without brackets
  int port = 0;        // the explicit port, or 80 / 443 by scheme
  std::string target;  // path and query, "/" when empty
};

// Parses `text` as an absolute http or https URL. Rejects other schemes, user information
// ("user:pass@host"), an empty or malformed host or port, fragments, whitespace and
// control characters. On failure returns nullopt and sets `*reason` (if given) to a
// sentence that says what is wrong.
std::optional<HttpUrl> ParseHttpUrl(std::string_view text, std::string* reason = nullptr);

// The hosts calls may go to. Entries are "host" (any port), "host:port", "[v6]",
// "[v6]:port", or "*" (any host). Host names compare case-insensitively.
class DestinationAllowList {
 public:
  explicit DestinationAllowList(const std::vector<std::string>& entries = {});

  // The default list of an instance listening on `config.port`: 127.0.0.1, localhost and
  // ::1 at that port, this machine's host name at that port, the host of
  // config.default_destination, the application URIs (any port), and
  // config.allowed_destinations.
  static DestinationAllowList ForConfig(const Config& config);

  bool Allows(const HttpUrl& url) const;
  bool allows_any() const { return any_; }

  // The entries as given, for error messages and pages.
  const std::vector<std::string>& entries() const { return entries_; }

 private:
  struct Entry {
    std::string host;
    int port = 0;  // 0: any port
  };

  std::vector<std::string> entries_;
  std::vector<Entry> parsed_;
  bool any_ = false;
};

// The limits and defaults a request is checked against.
struct RunRequestPolicy {
  int64_t max_calls = 500;
  int default_concurrency = 8;
  int max_concurrency = 64;
  Strategy default_strategy = Strategy::kAtomic;
  std::string default_destination;  // used when the body names none
  DestinationAllowList allowed;
};

// The policy for an instance with this configuration; the default destination is
// config.default_destination or http://127.0.0.1:<port>/receiver.
RunRequestPolicy RunRequestPolicyForConfig(const Config& config);

// The outcome of a check: a request, or a sentence for the person who sent it.
struct RunRequestCheck {
  std::optional<RunRequest> request;
  std::string error;

  bool ok() const { return request.has_value(); }
};

// True when `content_type` is application/json, with or without parameters such as
// "; charset=utf-8", in any letter case.
bool IsJsonContentType(std::string_view content_type);

// Checks a body {"calls":N,"strategy":S,"concurrency":K,"destination":U}; only `calls` is
// required, a null field counts as absent. `calls` must be a JSON integer from 1 to
// policy.max_calls and `concurrency` one from 1 to policy.max_concurrency (1.5, "5",
// 1e3 and numbers too large for 64 bits are refused); `strategy` a known strategy name;
// `destination` a URL that ParseHttpUrl accepts and policy.allowed allows. Unknown fields
// are refused so a typo is not silently ignored. The error never echoes more than a short
// excerpt of the input.
RunRequestCheck CheckRunRequest(std::string_view body, const RunRequestPolicy& policy);

}  // namespace pcfdemo
