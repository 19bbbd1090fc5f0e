// A request run: one trigger's worth of calls from a worker to the receivers, and what both
// sides recorded. The run's public identifier is `timestamp`, its start in seconds since the
// epoch, unique per repository.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "pcfdemo/strategy.h"

namespace pcfdemo {

enum class RunStatus { kPending, kRunning, kFinished, kAbandoned };

// Wire names: "pending", "running", "finished", "abandoned".
std::string_view RunStatusName(RunStatus status);
std::optional<RunStatus> ParseRunStatus(std::string_view name);

struct LatencySummary {
  double p50_ms = 0;
  double p95_ms = 0;
  double p99_ms = 0;
};

// What the worker saw when the fan-out ended.
struct RunOutcome {
  RunStatus status = RunStatus::kFinished;   // kFinished or kAbandoned
  int64_t succeeded_calls = 0;               // answered with a 2xx status
  int64_t failed_calls = 0;                  // any other status, or no answer
  std::map<std::string, int64_t> instances;  // answering instance -> calls it answered
  LatencySummary latency;
};

struct Run {
  int64_t timestamp = 0;              // start, seconds since the epoch; the identifier
  int64_t current_request_count = 0;  // calls counted by the receivers
  int64_t max_possible_count = 0;     // calls requested
  Strategy strategy = Strategy::kAtomic;
  RunStatus status = RunStatus::kRunning;
  int64_t succeeded_calls = 0;
  int64_t failed_calls = 0;
  std::map<std::string, int64_t> instances;
  LatencySummary latency;
  // Epoch milliseconds. Limitation: repositories record the start as `timestamp` * 1000, so a
  // run's duration reads up to a second long; passing the start in milliseconds to CreateRun
  // would lift it.
  int64_t started_at_ms = 0;
  int64_t finished_at_ms = 0;  // epoch milliseconds; 0 while not finished

  // Calls that succeeded but were not counted: the updates the strategy lost. Only
  // meaningful once the run is finished; never negative.
  int64_t lost_updates() const {
    int64_t lost = succeeded_calls - current_request_count;
    return lost > 0 ? lost : 0;
  }
};

}  // namespace pcfdemo
