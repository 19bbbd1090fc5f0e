// An HttpClient on libcurl: one easy handle per calling thread so connections are reused,
// http and https only, no signals, redirects not followed. Thread-safe. Its GetRepeatedly
// drives all the calls of a run from curl's multi interface: one or two event loops
// (epoll), each with an easy handle per lane that keeps its connection from call to call.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "pcfdemo/http_client.h"

namespace pcfdemo {

// Get makes its call from the calling thread with that thread's own easy handle, which
// keeps its connections open between calls; GetRepeatedly uses handles of its own, closed
// when it returns, and reports its lanes from the calling thread and, when it splits them
// over two loops, from one more thread. Responses are reported with their status
// whatever it is (a 3xx is a response, its Location is not followed). Errors name curl's
// reason and never contain credentials given in the URL. GetRepeatedly looks at the plan's
// cancel flag at least every 100 ms and then abandons the calls in flight; it also fails a
// call that outlives its timeout by more than a few milliseconds when curl has not. The
// instance header's value is cut to 128 bytes, bytes outside printable ASCII made '?'.
std::unique_ptr<HttpClient> NewCurlHttpClient();

// `text` with the user information of every URL in it ("scheme://user:password@host")
// replaced by "***", for logs, pages and error messages.
std::string RedactUrlCredentials(std::string_view text);

}  // namespace pcfdemo
