// JSON forms of runs and triggers, as the HTTP API, the pages and the benchmarks show them.
// A run uses the `request_recorder` table's names where they exist (`timestamp`,
// `current_request_count`, `max_possible_count`) and then `strategy`, `status`,
// `succeeded_calls`, `failed_calls`, `lost_updates`, `instances`, `latency_ms` {p50, p95,
// p99}, `started_at`, `finished_at` (ISO-8601 UTC strings, or null).
//
// Pure functions of their arguments; safe to call from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pcfdemo/request_fanout.h"
#include "pcfdemo/run.h"
#include "pcfdemo/trigger_store.h"

namespace pcfdemo {

// `epoch_ms` as "2024-05-01T12:34:56.789Z".
std::string FormatIsoUtc(int64_t epoch_ms);

// One run as a JSON object. `lost_updates` is null until the run is finished or abandoned.
std::string RunToJson(const Run& run);

// {"runs": [...newest first as given...], "total": total}.
std::string RunListToJson(const std::vector<Run>& runs, int64_t total);

// A request as accepted by POST /api/runs: {"status":"pending","calls":N,"strategy":S,
// "concurrency":K,"destination":U}.
std::string PendingRunToJson(const RunRequest& request);

// The pending or running run: the run's fields (from `run` when the worker has created it,
// otherwise a pending run built from the trigger: null timestamp, zero counts), plus
// "request" (what was asked), "worker" (the claim holder or null) and "progress" ({done,
// total, succeeded, failed} when `progress` is given, else null).
std::string CurrentRunToJson(const Trigger& trigger, const std::optional<Run>& run,
                             const std::optional<FanoutProgress>& progress);

}  // namespace pcfdemo
