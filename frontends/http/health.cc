// GET /healthz          200 while the process serves: liveness.
// GET /readyz           200 when the key-value store and the run repository answer; 503
//                       {"error": ...} naming the backend that is down, or saying that an
//                       operator disabled readiness.
// POST /readyz/disable  forces /readyz to 503 (take this instance out of rotation).
// POST /readyz/enable   lifts that.
// Both switches refuse with 403 a request that a browser says comes from another site
// (RefuseCrossSiteRequest), so a foreign page cannot take the instance out of rotation.
#include <nlohmann/json.hpp>

#include "page_forms.h"
#include "routes.h"
#include "routing.h"

namespace pcfdemo::web {
namespace {

using Pistache::Http::Code;

// Probes one backend; returns an empty string when it answered, else why it did not.
template <typename Probe>
std::string Ask(App& app, Probe probe) {
  try {
    probe();
    return "";
  } catch (const std::exception& e) {
    return app.log->Scrub(e.what());
  }
}

void Record(App& app, const char* name, const std::string& description, std::atomic<bool>& up,
            std::string& reason_field, const std::string& reason) {
  bool now_up = reason.empty();
  bool was_up;
  {
    std::lock_guard<std::mutex> lock(app.health.mu);
    reason_field = reason;
    was_up = up.exchange(now_up);
  }
  if (was_up && !now_up)
    app.log->Warn(std::string("backend lost: ") + name + " " + description + ": " + reason);
  if (!was_up && now_up) app.log->Info(std::string("backend up: ") + name + " " + description);
}

}  // namespace

void ProbeBackends(App& app) {
  std::string store_reason = Ask(app, [&] { app.store->Get("pcfdemo.readiness-probe"); });
  Record(app, "store", app.store->Describe(), app.health.store_up, app.health.store_reason,
         store_reason);
  // GetRun of an impossible timestamp: one indexed lookup, answered without a row.
  std::string runs_reason = Ask(app, [&] { app.runs->GetRun(0); });
  Record(app, "runs", app.runs->Describe(), app.health.runs_up, app.health.runs_reason,
         runs_reason);
}

void RegisterHealth(Pistache::Rest::Router& router, App& app) {
  AddRoute(
      router, app, Pistache::Http::Method::Get, "/healthz",
      [](const Pistache::Rest::Request&) { return JsonReply(Code::Ok, "{\"status\":\"ok\"}"); });

  AddRoute(router, app, Pistache::Http::Method::Get, "/readyz",
           [&app](const Pistache::Rest::Request&) {
             if (app.health.forced_unready.load()) {
               return ErrorReply(Code::Service_Unavailable,
                                 "not ready: readiness was disabled through /readyz/disable");
             }
             ProbeBackends(app);
             std::string down;
             {
               std::lock_guard<std::mutex> lock(app.health.mu);
               if (!app.health.store_up) {
                 down += "the key-value store (" + app.store->Describe() +
                         ") is unreachable: " + app.health.store_reason;
               }
               if (!app.health.runs_up) {
                 if (!down.empty()) down += "; ";
                 down += "the run repository (" + app.runs->Describe() +
                         ") is unreachable: " + app.health.runs_reason;
               }
             }
             if (!down.empty()) return ErrorReply(Code::Service_Unavailable, "not ready: " + down);
             nlohmann::json body = {
                 {"status", "ready"},
                 {"backends", {{"store", app.store->Describe()}, {"runs", app.runs->Describe()}}}};
             return JsonReply(Code::Ok, body.dump());
           });

  AddRoute(router, app, Pistache::Http::Method::Post, "/readyz/disable",
           [&app](const Pistache::Rest::Request& request) {
             if (std::optional<std::string> refusal = RefuseCrossSiteRequest(request)) {
               return ErrorReply(Code::Forbidden, *refusal);
             }
             if (!app.health.forced_unready.exchange(true)) {
               app.log->Info("readiness disabled by an operator");
             }
             return JsonReply(Code::Ok, "{\"status\":\"disabled\"}");
           });

  AddRoute(router, app, Pistache::Http::Method::Post, "/readyz/enable",
           [&app](const Pistache::Rest::Request& request) {
             if (std::optional<std::string> refusal = RefuseCrossSiteRequest(request)) {
               return ErrorReply(Code::Forbidden, *refusal);
             }
             if (app.health.forced_unready.exchange(false)) {
               app.log->Info("readiness enabled by an operator");
             }
             return JsonReply(Code::Ok, "{\"status\":\"enabled\"}");
           });
}

}  // namespace pcfdemo::web
