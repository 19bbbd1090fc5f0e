// POST /api/runs              {"calls":N,"strategy":S,"concurrency":K,"destination":U}
//                             (only calls required; Content-Type: application/json).
//                             202 {"status":"pending", ...the request...} when the trigger is
//                             set; 409 {"error", "current"} while a run is pending or
//                             running (that run is left untouched); 400 {"error"} for bad
//                             input, with nothing triggered.
// GET /api/runs?limit=L&offset=O  {"runs": [...newest first...], "total": N};
//                             limit 1..200 (20), offset >= 0 (0).
// GET /api/runs/current       the pending or running run with its request, the worker
//                             holding it and, when that worker runs in this process, its
//                             live progress; 404 when idle.
// GET /api/runs/{timestamp}   one run; 404 when unknown; 400 for a malformed timestamp.
#include <nlohmann/json.hpp>

#include "pcfdemo/backend_error.h"
#include "pcfdemo/run_json.h"
#include "routes.h"
#include "routing.h"

namespace pcfdemo::web {

std::optional<std::string> CurrentRunJson(App& app) {
  std::optional<Trigger> trigger = app.triggers->Current();
  if (!trigger) return std::nullopt;

  std::optional<Run> run;
  if (trigger->run_timestamp) {
    try {
      run = app.runs->GetRun(*trigger->run_timestamp);
    } catch (const BackendError&) {
      // The trigger alone still says what is going on.
    }
  }
  std::optional<FanoutProgress> progress;
  if (app.request_worker) {
    FanoutProgress live = app.request_worker->progress();
    if (live.total > 0) progress = live;
  }
  return CurrentRunToJson(*trigger, run, progress);
}

namespace {

using Pistache::Http::Code;

constexpr int kDefaultLimit = 20;
constexpr int kMaxLimit = 200;
constexpr int64_t kMaxOffset = 1000000000;

std::string Origin(const std::string& destination) {
  std::optional<HttpUrl> url = ParseHttpUrl(destination);
  if (!url) return "?";
  return url->scheme + "://" + url->host + ":" + std::to_string(url->port);
}

Reply TriggerRun(App& app, const Pistache::Rest::Request& request) {
  if (std::optional<Reply> refusal = RequireJsonContentType(request)) return *refusal;
  RunRequestCheck check = CheckRunRequest(request.body(), app.run_policy);
  if (!check.ok()) return ErrorReply(Code::Bad_Request, check.error);

  const RunRequest& run = *check.request;
  if (!app.triggers->TryTrigger(run)) {
    app.metrics.runs_refused_busy.fetch_add(1, std::memory_order_relaxed);
    std::optional<std::string> current = CurrentRunJson(app);
    std::string body = "{\"error\":\"a run is already pending or running\",\"current\":" +
                       current.value_or("null") + "}";
    return JsonReply(Code::Conflict, body);
  }
  app.metrics.runs_triggered.fetch_add(1, std::memory_order_relaxed);
  app.log->Info("run triggered: calls=" + std::to_string(run.calls) +
                " strategy=" + std::string(StrategyName(run.strategy)) + " concurrency=" +
                std::to_string(run.concurrency) + " destination=" + Origin(run.destination));
  return JsonReply(Code::Accepted, PendingRunToJson(run));
}

Reply ListRuns(App& app, const Pistache::Rest::Request& request) {
  int64_t limit = kDefaultLimit;
  int64_t offset = 0;
  if (std::optional<std::string> text = request.query().get("limit")) {
    std::optional<int64_t> parsed = ParseDecimal(*text);
    if (!parsed || *parsed < 1 || *parsed > kMaxLimit) {
      return ErrorReply(Code::Bad_Request,
                        "limit must be a whole number from 1 to " + std::to_string(kMaxLimit));
    }
    limit = *parsed;
  }
  if (std::optional<std::string> text = request.query().get("offset")) {
    std::optional<int64_t> parsed = ParseDecimal(*text);
    if (!parsed || *parsed > kMaxOffset) {
      return ErrorReply(Code::Bad_Request,
                        "offset must be a whole number from 0 to " + std::to_string(kMaxOffset));
    }
    offset = *parsed;
  }
  std::vector<Run> runs = app.runs->ListRuns(static_cast<int>(limit), static_cast<int>(offset));
  int64_t total = app.runs->CountRuns();
  return JsonReply(Code::Ok, RunListToJson(runs, total));
}

}  // namespace

void RegisterRuns(Pistache::Rest::Router& router, App& app) {
  AddRoute(router, app, Pistache::Http::Method::Post, "/api/runs",
           [&app](const Pistache::Rest::Request& request) { return TriggerRun(app, request); });

  AddRoute(router, app, Pistache::Http::Method::Get, "/api/runs",
           [&app](const Pistache::Rest::Request& request) { return ListRuns(app, request); });

  AddRoute(router, app, Pistache::Http::Method::Get, "/api/runs/current",
           [&app](const Pistache::Rest::Request&) {
             std::optional<std::string> current = CurrentRunJson(app);
             if (!current) return ErrorReply(Code::Not_Found, "no run is pending or running");
             return JsonReply(Code::Ok, *current);
           });

  AddRoute(router, app, Pistache::Http::Method::Get, "/api/runs/:timestamp",
           [&app](const Pistache::Rest::Request& request) {
             std::string text = request.param(":timestamp").as<std::string>();
             std::optional<int64_t> timestamp = ParseDecimal(text);
             if (!timestamp || *timestamp <= 0) {
               return ErrorReply(Code::Bad_Request,
                                 "a run's timestamp is a positive whole number of seconds");
             }
             std::optional<Run> run = app.runs->GetRun(*timestamp);
             if (!run) {
               return ErrorReply(Code::Not_Found,
                                 "no run with timestamp " + std::to_string(*timestamp));
             }
             return JsonReply(Code::Ok, RunToJson(*run));
           });
}

}  // namespace pcfdemo::web
