// POST /api/trigger-store/flush
//
// Removes every key of the trigger store (the operator's way out of a stuck trigger).
// Content-Type: application/json, body empty or {}. 200 {"status":"flushed"}. A worker in
// the middle of a run loses its claim and finishes the run it has.
#include "routes.h"
#include "routing.h"

namespace pcfdemo::web {

void RegisterTriggerStoreFlush(Pistache::Rest::Router& router, App& app) {
  AddRoute(router, app, Pistache::Http::Method::Post, "/api/trigger-store/flush",
           [&app](const Pistache::Rest::Request& request) {
             if (std::optional<Reply> refusal = RequireJsonContentType(request)) {
               return *refusal;
             }
             app.triggers->Flush();
             app.log->Info("trigger store flushed by an operator");
             return JsonReply(Pistache::Http::Code::Ok, "{\"status\":\"flushed\"}");
           });
}

}  // namespace pcfdemo::web
