// FailureBudget is an HttpClient that passes every call on to another client and stops a
// fan-out once more calls have failed than the budget allows: it raises the fan-out's cancel
// flag, so no new call starts and RequestFanout::Run returns with the calls already made.
// This is how a program that embeds pcfdemo's fan-out adds a policy of its own without
// changing the library: by wrapping the HttpClient interface.
//
// Thread-safe: RequestFanout calls Get from all its callers at once.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include "pcfdemo/http_client.h"

namespace embed_fanout {

class FailureBudget : public pcfdemo::HttpClient {
 public:
  // `inner` and `stop` must outlive this object. `max_failures` < 0 means no budget.
  FailureBudget(pcfdemo::HttpClient* inner, int64_t max_failures, std::atomic<bool>* stop);

  // The inner client's answer. A call fails when it got no answer or a status outside 2xx;
  // the call that uses up the budget sets `stop`.
  pcfdemo::HttpResponse Get(const std::string& url, std::chrono::milliseconds timeout) override;

  // Whether this budget (rather than, say, Ctrl-C) stopped the fan-out.
  bool exhausted() const { return exhausted_.load(); }

 private:
  pcfdemo::HttpClient* inner_;
  const int64_t max_failures_;
  std::atomic<bool>* stop_;
  std::atomic<int64_t> failures_{0};
  std::atomic<bool> exhausted_{false};
};

}  // namespace embed_fanout
