// GET /api/instance
//
// Who answered: {"instance", "index", "guid", "host", "version", "mode", "started_at",
// "uptime_s", "workers_in_process", "backends": {"store", "runs"}}. The backend
// descriptions never contain credentials.
#include <nlohmann/json.hpp>

#include "pcfdemo/run_json.h"
#include "routes.h"
#include "routing.h"

namespace pcfdemo::web {

void RegisterInstance(Pistache::Rest::Router& router, App& app) {
  AddRoute(router, app, Pistache::Http::Method::Get, "/api/instance",
           [&app](const Pistache::Rest::Request&) {
             int64_t now_ms = app.clock->NowMicros() / 1000;
             nlohmann::json body = {
                 {"instance", app.instance},
                 {"index", app.config.instance_index},
                 {"guid", app.config.instance_guid},
                 {"host", app.host_name},
                 {"version", app.version},
                 {"mode", app.mode()},
                 {"started_at", FormatIsoUtc(app.started_at_ms)},
                 {"uptime_s", (now_ms - app.started_at_ms) / 1000},
                 {"workers_in_process", app.request_worker != nullptr},
                 {"backends", {{"store", app.store->Describe()}, {"runs", app.runs->Describe()}}}};
             return JsonReply(Pistache::Http::Code::Ok,
                              body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
           });
}

}  // namespace pcfdemo::web
