// RequestFanout makes N calls with a bounded number in flight and summarises what came back.
// It streams: memory does not grow with N (latencies go into a fixed-size histogram, counts
// into small maps keyed by status and by answering instance, one set per lane).
//
// One Run at a time per object; Run itself is called from one thread. The calls are made by
// HttpClient::GetRepeatedly, which decides how many threads to use (the curl client: one or
// two event loops; the default: `concurrency` threads).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "pcfdemo/clock.h"
#include "pcfdemo/http_client.h"
#include "pcfdemo/latency_histogram.h"
#include "pcfdemo/run.h"

namespace pcfdemo {

struct FanoutPlan {
  std::string url;  // every call GETs this URL
  int64_t calls = 0;
  int concurrency = 8;
  std::chrono::milliseconds timeout{10000};
};

struct FanoutProgress {
  int64_t done = 0;  // calls answered or failed so far
  int64_t total = 0;
  int64_t succeeded = 0;
  int64_t failed = 0;
};

struct FanoutReport {
  int64_t calls_made = 0;
  int64_t succeeded = 0;                       // 2xx
  int64_t failed = 0;                          // other status or no answer
  std::map<int, int64_t> by_status;            // 0 = no answer
  std::map<std::string, int64_t> by_instance;  // answering instance -> calls
  std::map<std::string, int64_t> errors;       // error text -> calls; at most 16 texts
  LatencySummary latency;
  LatencyHistogram latency_histogram;  // every answered call's latency
  double elapsed_s = 0;
  bool cancelled = false;

  double calls_per_second() const { return elapsed_s > 0 ? calls_made / elapsed_s : 0; }
};

class RequestFanout {
 public:
  // `client` and `clock` must outlive this object.
  RequestFanout(HttpClient* client, Clock* clock);

  // Makes plan.calls calls. `progress`, if set, is called at most about every
  // `progress_interval` and once at the end, from a thread of the client's GetRepeatedly
  // (possibly the calling thread) and, at the end, from the calling thread. When `cancel`
  // becomes true, no new call starts and the calls still in flight after kCancelGrace are
  // abandoned where the client can (the curl client; the default GetRepeatedly lets them
  // end), and counted as failed with error kCancelledError; succeeded + failed still equals
  // calls_made, and report.cancelled is set when the run made fewer calls than planned or
  // abandoned any.
  // REQUIRES: plan.calls >= 0, plan.concurrency >= 1.
  FanoutReport Run(const FanoutPlan& plan,
                   const std::function<void(const FanoutProgress&)>& progress = {},
                   const std::atomic<bool>* cancel = nullptr,
                   std::chrono::milliseconds progress_interval = std::chrono::milliseconds(200));

 private:
  HttpClient* client_;
  Clock* clock_;
};

}  // namespace pcfdemo
