// Costs on the fan-out's hot path: recording one latency, merging the per-lane histograms
// at the end of a run, reading percentiles, and a whole fan-out through a client that
// answers at once (the fan-out's own overhead per call), both through the default
// GetRepeatedly (a thread per lane calling Get) and through a client that reports its
// answers from one thread as an event loop does.

#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <random>
#include <vector>

#include "pcfdemo/clock.h"
#include "pcfdemo/latency_histogram.h"
#include "pcfdemo/request_fanout.h"

namespace pcfdemo {
namespace {

// Latencies spread like a real run's: log-normal around 5 ms.
std::vector<int64_t> SampleLatencies(size_t n) {
  std::mt19937_64 random(7);
  std::lognormal_distribution<double> micros(8.5, 1.0);
  std::vector<int64_t> values(n);
  for (auto& v : values) v = static_cast<int64_t>(micros(random));
  return values;
}

void BM_RecordLatency(benchmark::State& state) {
  std::vector<int64_t> values = SampleLatencies(4096);
  LatencyHistogram histogram;
  size_t i = 0;
  for (auto _ : state) {
    histogram.Record(values[i++ & 4095]);
  }
  benchmark::DoNotOptimize(histogram.Count());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RecordLatency);

void BM_MergeHistograms(benchmark::State& state) {
  // One histogram per caller, as a fan-out merges them at the end of a run.
  const auto callers = static_cast<size_t>(state.range(0));
  std::vector<int64_t> values = SampleLatencies(10000);
  std::vector<LatencyHistogram> per_caller(callers);
  for (size_t i = 0; i < values.size(); ++i) per_caller[i % callers].Record(values[i]);
  for (auto _ : state) {
    LatencyHistogram merged;
    for (const auto& h : per_caller) merged.Merge(h);
    benchmark::DoNotOptimize(merged.Count());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(callers));
}
BENCHMARK(BM_MergeHistograms)->Arg(1)->Arg(8)->Arg(64);

void BM_Percentiles(benchmark::State& state) {
  LatencyHistogram histogram;
  for (int64_t v : SampleLatencies(100000)) histogram.Record(v);
  for (auto _ : state) {
    benchmark::DoNotOptimize(histogram.Percentile(50));
    benchmark::DoNotOptimize(histogram.Percentile(95));
    benchmark::DoNotOptimize(histogram.Percentile(99));
  }
}
BENCHMARK(BM_Percentiles);

// Answers every call at once with a fixed 200 from one of four instances.
class InstantClient : public HttpClient {
 public:
  HttpResponse Get(const std::string&, std::chrono::milliseconds) override {
    HttpResponse response;
    response.status = 200;
    response.latency_ms = 1.5;
    response.instance = kInstances[next_.fetch_add(1, std::memory_order_relaxed) & 3];
    return response;
  }

 private:
  static constexpr const char* kInstances[] = {"web-0", "web-1", "web-2", "web-3"};
  std::atomic<uint64_t> next_{0};
};

// Runs fan-outs of 10,000 calls through `client`, at the concurrency the benchmark names.
void RunFanouts(benchmark::State& state, HttpClient& client) {
  RequestFanout fanout(&client, SystemClock());
  FanoutPlan plan;
  plan.url = "http://127.0.0.1:1/receiver";
  plan.calls = 10000;
  plan.concurrency = static_cast<int>(state.range(0));
  for (auto _ : state) {
    FanoutReport report = fanout.Run(plan);
    benchmark::DoNotOptimize(report.calls_made);
  }
  state.SetItemsProcessed(state.iterations() * plan.calls);
}

void BM_FanoutOverheadPerCall(benchmark::State& state) {
  InstantClient client;
  RunFanouts(state, client);
}
BENCHMARK(BM_FanoutOverheadPerCall)->Arg(1)->Arg(8)->Unit(benchmark::kMillisecond);

// Reports every call at once from the calling thread, on the lanes in turn, without Get:
// what is left is the fan-out's counting of each answer.
class InstantLoopClient : public InstantClient {
 public:
  int64_t GetRepeatedly(const RepeatedGet& plan, const AnswerSink& on_answer) override {
    int64_t made = 0;
    while (made < plan.calls) {
      HttpResponse response = Get(plan.url, plan.timeout);
      int lane = static_cast<int>(made % plan.concurrency);
      ++made;
      if (!on_answer(lane, response)) break;
    }
    return made;
  }
};

void BM_FanoutCountingPerCall(benchmark::State& state) {
  InstantLoopClient client;
  RunFanouts(state, client);
}
BENCHMARK(BM_FanoutCountingPerCall)->Arg(8)->Arg(256)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace pcfdemo

BENCHMARK_MAIN();
