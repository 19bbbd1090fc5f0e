#include "failure_budget.h"

namespace embed_fanout {

FailureBudget::FailureBudget(pcfdemo::HttpClient* inner, int64_t max_failures,
                             std::atomic<bool>* stop)
    : inner_(inner), max_failures_(max_failures), stop_(stop) {}

pcfdemo::HttpResponse FailureBudget::Get(const std::string& url,
                                         std::chrono::milliseconds timeout) {
  pcfdemo::HttpResponse response = inner_->Get(url, timeout);

  bool ok = response.status >= 200 && response.status < 300;
  if (!ok && max_failures_ >= 0 && failures_.fetch_add(1) + 1 > max_failures_) {
    exhausted_.store(true);
    stop_->store(true);
  }
  return response;
}

}  // namespace embed_fanout
