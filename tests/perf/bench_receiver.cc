// Costs on the receiver's side of a run: counting one call (the work behind GET /receiver)
// with the in-memory repository, from one thread and from several at once, and writing a
// finished run as JSON (what GET /api/runs/{timestamp} and the pages send).
// The benchmark main is in bench_fanout.cc.

#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <string>

#include "pcfdemo/in_memory_run_repository.h"
#include "pcfdemo/receiver.h"
#include "pcfdemo/run.h"
#include "pcfdemo/run_json.h"
#include "pcfdemo/strategy.h"

namespace pcfdemo {
namespace {

constexpr int64_t kTimestamp = 1700000000;

// One repository shared by every thread of a multi-threaded benchmark, with a few runs so
// the lookup is not into a map of one.
struct SharedReceiver {
  InMemoryRunRepository repository;
  Receiver receiver{&repository, "0/bench", Strategy::kAtomic};

  SharedReceiver() {
    for (int64_t i = 0; i < 64; ++i) {
      repository.CreateRun(kTimestamp - i, 1000000, Strategy::kAtomic);
    }
  }
};

SharedReceiver& Shared() {
  static SharedReceiver shared;
  return shared;
}

void BM_CountCall(benchmark::State& state) {
  const auto strategy = static_cast<Strategy>(state.range(0));
  Receiver& receiver = Shared().receiver;
  for (auto _ : state) {
    benchmark::DoNotOptimize(receiver.Count(kTimestamp, strategy));
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(std::string(StrategyName(strategy)));
}
// Every strategy, single-threaded: the cost of the counting itself.
BENCHMARK(BM_CountCall)
    ->Arg(static_cast<int>(Strategy::kAtomic))
    ->Arg(static_cast<int>(Strategy::kReadModifyWrite))
    ->Arg(static_cast<int>(Strategy::kRowLock))
    ->Arg(static_cast<int>(Strategy::kOptimistic));
// Atomic from several threads at once, as the web server's threads count: the lock's cost.
BENCHMARK(BM_CountCall)->Arg(static_cast<int>(Strategy::kAtomic))->Threads(2)->Threads(8);

Run FinishedRun() {
  Run run;
  run.timestamp = kTimestamp;
  run.current_request_count = 99874;
  run.max_possible_count = 100000;
  run.strategy = Strategy::kReadModifyWrite;
  run.status = RunStatus::kFinished;
  run.succeeded_calls = 99990;
  run.failed_calls = 10;
  for (int i = 0; i < 3; ++i) {
    run.instances[std::to_string(i) + "/9f8e7d6c"] = 33330;
  }
  run.latency = {2.125, 7.5, 12.25};
  run.started_at_ms = kTimestamp * 1000;
  run.finished_at_ms = kTimestamp * 1000 + 41234;
  return run;
}

void BM_RunToJson(benchmark::State& state) {
  const Run run = FinishedRun();
  size_t bytes = 0;
  for (auto _ : state) {
    std::string json = RunToJson(run);
    bytes += json.size();
    benchmark::DoNotOptimize(json.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_RunToJson);

void BM_RunListToJson(benchmark::State& state) {
  const std::vector<Run> runs(static_cast<size_t>(state.range(0)), FinishedRun());
  for (auto _ : state) {
    std::string json = RunListToJson(runs, static_cast<int64_t>(runs.size()));
    benchmark::DoNotOptimize(json.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
// A page of the runs list (the API's default and largest page sizes).
BENCHMARK(BM_RunListToJson)->Arg(20)->Arg(200);

}  // namespace
}  // namespace pcfdemo
