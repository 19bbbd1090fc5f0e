// GET /receiver?timestamp=T[&strategy=S]
//
// Counts one call for run T with strategy S (read-modify-write when absent, as the
// original receiver counted) and answers {"instance": ..., "timestamp": T, "counted": true}
// with the answering instance also in the X-Pcfdemo-Instance header, which the request
// worker uses to show how the load balancer spread the calls.
//   400  timestamp missing or not a positive integer; unknown strategy
//   404  no run with that timestamp
//   503  the run repository is unreachable
// This is the hot path of every run: one repository statement, no logging per call.
#include <nlohmann/json.hpp>

#include "routes.h"
#include "routing.h"

namespace pcfdemo::web {

using Pistache::Http::Code;

DirectRoute RegisterReceiver(Pistache::Rest::Router& router, App& app) {
  // The instance name is fixed for the process: escape it once.
  std::string instance_json = nlohmann::json(app.instance).dump();

  return AddDirectRoute(
      router, app, Pistache::Http::Method::Get, "/receiver",
      [&app, instance_json](const Pistache::Http::Request& request) {
        std::optional<std::string> timestamp_text = request.query().get("timestamp");
        if (!timestamp_text) {
          return ErrorReply(Code::Bad_Request,
                            "the query parameter timestamp (the run's timestamp) is "
                            "required, e.g. /receiver?timestamp=1700000000");
        }
        std::optional<int64_t> timestamp = ParseDecimal(*timestamp_text);
        if (!timestamp || *timestamp <= 0) {
          return ErrorReply(Code::Bad_Request,
                            "timestamp must be a positive whole number of seconds");
        }

        std::optional<Strategy> strategy;
        if (std::optional<std::string> name = request.query().get("strategy")) {
          strategy = ParseStrategy(*name);
          if (!strategy) {
            return ErrorReply(Code::Bad_Request,
                              "unknown strategy; use read-modify-write, atomic, row-lock "
                              "or optimistic");
          }
        }

        if (!app.receiver->Count(*timestamp, strategy)) {
          return ErrorReply(Code::Not_Found, "no run with timestamp " + std::to_string(*timestamp));
        }
        app.metrics.CountReceived(strategy.value_or(app.receiver_default_strategy));
        return JsonReply(Code::Ok, "{\"instance\":" + instance_json + ",\"timestamp\":" +
                                       std::to_string(*timestamp) + ",\"counted\":true}");
      });
}

}  // namespace pcfdemo::web
