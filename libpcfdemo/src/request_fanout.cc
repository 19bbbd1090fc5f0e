#include "pcfdemo/request_fanout.h"

#include <algorithm>
#include <cmath>
#include <mutex>
#include <stdexcept>
#include <vector>

#include "pcfdemo/latency_histogram.h"

namespace pcfdemo {

namespace {

// Distinct error texts kept in a report; the last slot gathers all further texts.
constexpr size_t kMaxErrorTexts = 16;
constexpr char kOtherErrors[] = "(other errors)";

// Distinct answering instances kept; more than this many means the header is not naming
// instances, and the rest are gathered so memory stays bounded.
constexpr size_t kMaxInstances = 1024;
constexpr char kOtherInstances[] = "(other instances)";

// Adds `n` to `counts[key]`, keeping at most `limit` keys: once `limit` - 1 keys are taken,
// further keys are gathered under `overflow_key`.
void AddBounded(std::map<std::string, int64_t>& counts, const std::string& key, int64_t n,
                size_t limit, const char* overflow_key) {
  auto found = counts.find(key);
  if (found != counts.end() || key == overflow_key) {
    counts[key] += n;
    return;
  }
  size_t named = counts.size() - counts.count(overflow_key);
  counts[named + 1 < limit ? key : std::string(overflow_key)] += n;
}

// What the calls of one lane came back with; merged into the report when the run is over.
struct Tally {
  int64_t succeeded = 0;
  int64_t failed = 0;
  std::map<int, int64_t> by_status;
  std::map<std::string, int64_t> by_instance;
  std::map<std::string, int64_t> errors;
  LatencyHistogram latency;

  void Count(const HttpResponse& response) {
    bool ok = response.status >= 200 && response.status < 300;
    ++(ok ? succeeded : failed);
    ++by_status[response.status];
    if (!response.instance.empty()) {
      AddBounded(by_instance, response.instance, 1, kMaxInstances, kOtherInstances);
    }
    if (!response.error.empty()) {
      AddBounded(errors, response.error, 1, kMaxErrorTexts, kOtherErrors);
    }
    if (response.status != 0) {
      latency.Record(std::llround(std::max(0.0, response.latency_ms) * 1000.0));
    }
  }

  void MergeInto(FanoutReport& report, LatencyHistogram& merged_latency) const {
    report.succeeded += succeeded;
    report.failed += failed;
    for (const auto& [status, n] : by_status) report.by_status[status] += n;
    for (const auto& [instance, n] : by_instance) {
      AddBounded(report.by_instance, instance, n, kMaxInstances, kOtherInstances);
    }
    for (const auto& [error, n] : errors) {
      AddBounded(report.errors, error, n, kMaxErrorTexts, kOtherErrors);
    }
    merged_latency.Merge(latency);
  }
};

}  // namespace

RequestFanout::RequestFanout(HttpClient* client, Clock* clock) : client_(client), clock_(clock) {}

FanoutReport RequestFanout::Run(const FanoutPlan& plan,
                                const std::function<void(const FanoutProgress&)>& progress,
                                const std::atomic<bool>* cancel,
                                std::chrono::milliseconds progress_interval) {
  const int64_t total = std::max<int64_t>(plan.calls, 0);
  const int64_t start_micros = clock_->MonotonicMicros();
  const int64_t interval_micros = std::max<int64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(progress_interval).count(), 0);

  std::atomic<int64_t> succeeded{0};
  std::atomic<int64_t> failed{0};
  std::atomic<int64_t> abandoned{0};  // calls the client cut short on cancel
  std::atomic<int64_t> last_progress_micros{start_micros};
  std::mutex progress_mutex;  // one report at a time, so reports never go backwards

  auto report_progress = [&] {
    // Read under the lock: counters only grow, so each report is at least the previous one.
    FanoutProgress now;
    now.total = total;
    now.succeeded = succeeded.load();
    now.failed = failed.load();
    now.done = now.succeeded + now.failed;
    progress(now);
  };

  auto maybe_report_progress = [&] {
    if (!progress) return;
    int64_t now = clock_->MonotonicMicros();
    int64_t last = last_progress_micros.load();
    if (now - last < interval_micros) return;
    if (!last_progress_micros.compare_exchange_strong(last, now)) return;  // another won
    std::unique_lock<std::mutex> lock(progress_mutex, std::try_to_lock);
    if (lock.owns_lock()) report_progress();
  };

  auto cancelled = [cancel] { return cancel != nullptr && cancel->load(); };

  // One tally per lane: the client never reports two calls of a lane at once, so a call is
  // counted without a lock; the tallies are merged when the run is over.
  const int lanes =
      static_cast<int>(std::clamp<int64_t>(plan.concurrency, 1, std::max<int64_t>(total, 1)));
  std::vector<Tally> tallies(static_cast<size_t>(lanes));
  auto count_call = [&](int lane, const HttpResponse& response) {
    if (lane < 0 || lane >= lanes)
      throw std::logic_error("HttpClient reported a lane out of range");
    tallies[static_cast<size_t>(lane)].Count(response);
    bool ok = response.status >= 200 && response.status < 300;
    ++(ok ? succeeded : failed);
    if (response.status == 0 && response.error == kCancelledError) ++abandoned;
    maybe_report_progress();
    return !cancelled();
  };

  if (total > 0 && !cancelled()) {
    RepeatedGet get;
    get.url = plan.url;
    get.calls = total;
    get.concurrency = lanes;
    get.timeout = plan.timeout;
    get.cancel = cancel;
    client_->GetRepeatedly(get, count_call);
  }

  FanoutReport report;
  LatencyHistogram latency;
  for (const Tally& tally : tallies) tally.MergeInto(report, latency);
  report.calls_made = report.succeeded + report.failed;
  report.cancelled = (report.calls_made < total || abandoned.load() > 0) && cancelled();
  report.latency.p50_ms = latency.Percentile(50) / 1000.0;
  report.latency.p95_ms = latency.Percentile(95) / 1000.0;
  report.latency.p99_ms = latency.Percentile(99) / 1000.0;
  report.latency_histogram = latency;
  report.elapsed_s = static_cast<double>(clock_->MonotonicMicros() - start_micros) / 1e6;

  if (progress) {
    std::lock_guard<std::mutex> lock(progress_mutex);
    report_progress();
  }
  return report;
}

}  // namespace pcfdemo
