#include "pcfdemo/run_json.h"

#include <time.h>

#include <cstdio>
#include <nlohmann/json.hpp>

namespace pcfdemo {
namespace {

using nlohmann::json;

json IsoOrNull(int64_t epoch_ms) {
  if (epoch_ms <= 0) return nullptr;
  return FormatIsoUtc(epoch_ms);
}

json RunObject(const Run& run) {
  json instances = json::object();
  for (const auto& [name, calls] : run.instances) instances[name] = calls;

  bool ended = run.status == RunStatus::kFinished || run.status == RunStatus::kAbandoned;
  // Rows of the original four-column shape have no start time but their timestamp.
  int64_t started_at_ms = run.started_at_ms > 0 ? run.started_at_ms : run.timestamp * 1000;

  json object;
  object["timestamp"] = run.timestamp;
  object["current_request_count"] = run.current_request_count;
  object["max_possible_count"] = run.max_possible_count;
  object["strategy"] = std::string(StrategyName(run.strategy));
  object["status"] = std::string(RunStatusName(run.status));
  object["succeeded_calls"] = run.succeeded_calls;
  object["failed_calls"] = run.failed_calls;
  object["lost_updates"] = ended ? json(run.lost_updates()) : json(nullptr);
  object["instances"] = std::move(instances);
  object["latency_ms"] = {
      {"p50", run.latency.p50_ms}, {"p95", run.latency.p95_ms}, {"p99", run.latency.p99_ms}};
  object["started_at"] = IsoOrNull(started_at_ms);
  object["finished_at"] = IsoOrNull(run.finished_at_ms);
  return object;
}

json RequestObject(const RunRequest& request) {
  return {{"calls", request.calls},
          {"strategy", std::string(StrategyName(request.strategy))},
          {"concurrency", request.concurrency},
          {"destination", request.destination}};
}

std::string Dump(const json& value) {
  // Replace, not throw, on invalid UTF-8 (instance names come from other processes).
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace

std::string FormatIsoUtc(int64_t epoch_ms) {
  time_t seconds = static_cast<time_t>(epoch_ms / 1000);
  int millis = static_cast<int>(epoch_ms % 1000);
  if (millis < 0) {
    millis += 1000;
    seconds -= 1;
  }
  struct tm parts {};
  gmtime_r(&seconds, &parts);
  char text[64];
  std::snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", parts.tm_year + 1900,
                parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec, millis);
  return text;
}

std::string RunToJson(const Run& run) {
  return Dump(RunObject(run));
}

std::string RunListToJson(const std::vector<Run>& runs, int64_t total) {
  json list = json::array();
  for (const Run& run : runs) list.push_back(RunObject(run));
  return Dump({{"runs", std::move(list)}, {"total", total}});
}

std::string PendingRunToJson(const RunRequest& request) {
  json object = RequestObject(request);
  object["status"] = "pending";
  return Dump(object);
}

std::string CurrentRunToJson(const Trigger& trigger, const std::optional<Run>& run,
                             const std::optional<FanoutProgress>& progress) {
  json object;
  if (run) {
    object = RunObject(*run);
  } else {
    Run pending;
    pending.max_possible_count = trigger.request.calls;
    pending.strategy = trigger.request.strategy;
    pending.status = trigger.run_timestamp ? RunStatus::kRunning : RunStatus::kPending;
    object = RunObject(pending);
    object["timestamp"] = trigger.run_timestamp ? json(*trigger.run_timestamp) : json(nullptr);
    object["started_at"] = nullptr;
  }

  object["request"] = RequestObject(trigger.request);
  object["worker"] = trigger.claimed_by.empty() ? json(nullptr) : json(trigger.claimed_by);
  if (progress) {
    object["progress"] = {{"done", progress->done},
                          {"total", progress->total},
                          {"succeeded", progress->succeeded},
                          {"failed", progress->failed}};
  } else {
    object["progress"] = nullptr;
  }
  return Dump(object);
}

}  // namespace pcfdemo
