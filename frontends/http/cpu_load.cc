// GET /api/cpu-load  {"state":"ON"|"OFF","target_percent":P,"duration_s":S|null,
//                    "time_left_s":T,"expires_at":ISO|null,"burners":[{"worker",
//                    "achieved_percent","threads"}]}; duration_s is known only when the
//                    switch was set through this instance.
// PUT /api/cpu-load  {"state":"ON","target_percent":P,"duration_s":S} or {"state":"OFF"}
//                    (Content-Type: application/json). P is 1..100 (100), S 1..86400 seconds
//                    (3600). 200 with the new state; 400 with a reason, switch unchanged.
#include <algorithm>
#include <nlohmann/json.hpp>

#include "pcfdemo/cpu_load_request.h"
#include "pcfdemo/run_json.h"
#include "routes.h"
#include "routing.h"

namespace pcfdemo::web {
namespace {

using nlohmann::json;
using Pistache::Http::Code;

// Limitation: the store keeps the switch's expiry, not its duration, so duration_s is null
// on instances that did not set the switch; storing the duration in the TriggerStore would
// lift this.
Reply CurrentState(App& app) {
  CpuLoadState state = app.triggers->GetCpuLoad();
  int64_t now_s = app.clock->NowSeconds();
  json burners = json::array();
  for (const BurnerReport& burner : app.triggers->Burners()) {
    burners.push_back({{"worker", burner.worker},
                       {"achieved_percent", burner.achieved_percent},
                       {"threads", burner.threads}});
  }
  int64_t duration = app.cpu_load_duration_s.load();
  json body = {{"state", state.on ? "ON" : "OFF"},
               {"target_percent", state.target_percent},
               {"duration_s", state.on && duration > 0 ? json(duration) : json(nullptr)},
               {"time_left_s", state.on ? std::max<int64_t>(0, state.expires_at_s - now_s) : 0},
               {"expires_at", state.on && state.expires_at_s > 0
                                  ? json(FormatIsoUtc(state.expires_at_s * 1000))
                                  : json(nullptr)},
               {"burners", std::move(burners)}};
  return JsonReply(Code::Ok, body.dump(-1, ' ', false, json::error_handler_t::replace));
}

// Reads an optional numeric field; a present non-number is an error.
bool ReadNumber(const json& body, const char* field, double fallback, double* value,
                std::string* error) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) {
    *value = fallback;
    return true;
  }
  if (!it->is_number()) {
    *error = std::string("\"") + field + "\" must be a number";
    return false;
  }
  *value = it->get<double>();
  return true;
}

Reply SetState(App& app, const Pistache::Rest::Request& request) {
  if (std::optional<Reply> refusal = RequireJsonContentType(request)) return *refusal;
  json body;
  try {
    body = json::parse(request.body());
  } catch (const json::exception&) {  // parse_error, or out_of_range for 1e400
    return ErrorReply(
        Code::Bad_Request,
        "the request body is not valid JSON or holds a number out of range; send {\"state\":\"ON\","
        "\"target_percent\":50,\"duration_s\":300} or {\"state\":\"OFF\"}");
  }
  if (!body.is_object()) {
    return ErrorReply(Code::Bad_Request, "the request body must be a JSON object");
  }
  for (const auto& item : body.items()) {
    if (item.key() != "state" && item.key() != "target_percent" && item.key() != "duration_s") {
      return ErrorReply(Code::Bad_Request,
                        "unknown field; the fields are state, target_percent, duration_s");
    }
  }
  auto state = body.find("state");
  std::string name = state != body.end() && state->is_string() ? state->get<std::string>() : "";
  std::transform(name.begin(), name.end(), name.begin(), ::toupper);
  if (name != "ON" && name != "OFF") {
    return ErrorReply(Code::Bad_Request, "\"state\" must be \"ON\" or \"OFF\"");
  }

  if (name == "OFF") {
    SwitchCpuLoadOff(app.triggers.get());
    app.cpu_load_duration_s.store(0);
    app.log->Info("cpu load switched OFF");
    return CurrentState(app);
  }

  std::string error;
  double target = 0;
  double duration = 0;
  if (!ReadNumber(body, "target_percent", kMaxCpuTargetPercent, &target, &error) ||
      !ReadNumber(body, "duration_s", static_cast<double>(kDefaultCpuLoadDuration.count()),
                  &duration, &error)) {
    return ErrorReply(Code::Bad_Request, error);
  }
  CpuLoadRequest load;
  try {
    load = ValidateCpuLoadRequest(target, duration);
  } catch (const InvalidCpuLoadRequest& e) {
    return ErrorReply(Code::Bad_Request, e.what());
  }
  SwitchCpuLoadOn(app.triggers.get(), load);
  app.cpu_load_duration_s.store(load.duration.count());
  app.log->Info("cpu load switched ON: target=" + std::to_string(load.target_percent) +
                "% duration=" + std::to_string(load.duration.count()) + "s");
  return CurrentState(app);
}

}  // namespace

void RegisterCpuLoad(Pistache::Rest::Router& router, App& app) {
  AddRoute(router, app, Pistache::Http::Method::Get, "/api/cpu-load",
           [&app](const Pistache::Rest::Request&) { return CurrentState(app); });
  AddRoute(router, app, Pistache::Http::Method::Put, "/api/cpu-load",
           [&app](const Pistache::Rest::Request& request) { return SetState(app, request); });
}

}  // namespace pcfdemo::web
