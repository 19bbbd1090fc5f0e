// GET /autoscaler   the CPU load switch: ON or OFF, the target utilisation, the time left
//                   before ON ends by itself, and the workers that report burning.
// POST /autoscaler  state=ON with target_percent and duration_s, or state=OFF. The numbers
//                   are checked by the same functions as `pcfdemo-worker cpu` and PUT
//                   /api/cpu-load (pcfdemo/cpu_load_request.h). 303 back on success; the page
//                   again with a notice and 400 (bad input) or 403 (a form from elsewhere).
#include <algorithm>

#include "page_forms.h"
#include "page_layout.h"
#include "pcfdemo/cpu_load_request.h"
#include "pcfdemo/run_json.h"
#include "ui_pages.h"

namespace pcfdemo::web {
namespace {

using Pistache::Http::Code;

constexpr char kDefaultTarget[] = "80";

struct SwitchValues {
  std::string target_percent = kDefaultTarget;
  std::string duration_s = std::to_string(kDefaultCpuLoadDuration.count());
};

std::string Fixed1(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f", value);
  return text;
}

// "2024-05-01 12:34:56" for epoch seconds, UTC.
std::string UtcText(int64_t epoch_s) {
  std::string text = FormatIsoUtc(epoch_s * 1000).substr(0, 19);
  if (text.size() > 10 && text[10] == 'T') text[10] = ' ';
  return text;
}

std::string StateTable(App& app, const CpuLoadState& state) {
  int64_t left = state.on ? std::max<int64_t>(0, state.expires_at_s - app.clock->NowSeconds()) : 0;
  std::string badge = state.on ? "<span class=\"badge on\" id=\"cpu-state\">ON</span>"
                               : "<span class=\"badge off\" id=\"cpu-state\">OFF</span>";
  return "<table class=\"facts\" id=\"cpu-load\">\n<tr><th scope=\"row\">CPU load</th><td>" +
         badge + "</td></tr>\n" +
         "<tr><th scope=\"row\">Target utilisation</th><td id=\"cpu-target\">" +
         (state.on ? std::to_string(state.target_percent) + " % of each burning thread" : "-") +
         "</td></tr>\n<tr><th scope=\"row\">Time left</th><td id=\"cpu-time-left\">" +
         (state.on ? Escaped(FormatDuration(left)) + " (until " +
                         Escaped(UtcText(state.expires_at_s)) + " UTC)"
                   : "-") +
         "</td></tr>\n</table>\n";
}

std::string BurnersTable(App& app) {
  std::vector<BurnerReport> burners = app.triggers->Burners();
  std::string html = "<h2>Workers burning</h2>\n<div id=\"burners\">";
  if (burners.empty()) {
    html += "<p id=\"no-burners\">No worker reports burning.</p>";
  } else {
    html +=
        "<table class=\"facts\"><tr><th>Worker</th><th>Threads</th>"
        "<th>Achieved utilisation</th></tr>\n";
    for (const BurnerReport& burner : burners) {
      html += "<tr><td>" + Escaped(burner.worker) + "</td><td class=\"num\">" +
              std::to_string(burner.threads) + "</td><td class=\"num\">" +
              Fixed1(burner.achieved_percent) + " %</td></tr>\n";
    }
    html += "</table>";
  }
  return html + "</div>\n";
}

std::string SwitchForms(const PageContext& context, const SwitchValues& values) {
  return "<div class=\"forms\">\n<form method=\"post\" action=\"/autoscaler\" class=\"panel\" "
         "id=\"cpu-on-form\">\n" +
         FormTokenField(context) +
         "<input type=\"hidden\" name=\"state\" value=\"ON\">\n"
         "<label for=\"target_percent\">Target utilisation (%, " +
         std::to_string(kMinCpuTargetPercent) + "–" + std::to_string(kMaxCpuTargetPercent) +
         ")</label>\n<input id=\"target_percent\" name=\"target_percent\" type=\"number\" "
         "required min=\"" +
         std::to_string(kMinCpuTargetPercent) + "\" max=\"" + std::to_string(kMaxCpuTargetPercent) +
         "\" value=\"" + Escaped(values.target_percent) +
         "\">\n<label for=\"duration_s\">Duration (seconds, 1–" +
         std::to_string(kMaxCpuLoadDurationSeconds) +
         ")</label>\n<input id=\"duration_s\" name=\"duration_s\" type=\"number\" required "
         "min=\"1\" max=\"" +
         std::to_string(kMaxCpuLoadDurationSeconds) + "\" value=\"" + Escaped(values.duration_s) +
         "\">\n<button type=\"submit\" id=\"cpu-on\">Switch CPU load ON</button>\n</form>\n"
         "<form method=\"post\" action=\"/autoscaler\" class=\"panel\" id=\"cpu-off-form\">\n" +
         FormTokenField(context) +
         "<input type=\"hidden\" name=\"state\" value=\"OFF\">\n"
         "<p>Stops every burner within a slice.</p>\n"
         "<button type=\"submit\" id=\"cpu-off\" class=\"secondary\">Switch CPU load OFF"
         "</button>\n</form>\n</div>\n"
         "<p class=\"hint\">While ON, every CPU load worker burns the target on its threads, so "
         "the platform's autoscaler sees the load and adds instances; OFF (or the end of the "
         "duration) lets it scale back in.</p>\n";
}

PageAnswer AutoscalerPage(App& app, const PageContext& context, Code code, const Notice& notice,
                          const SwitchValues& values) {
  CpuLoadState state = app.triggers->GetCpuLoad();
  std::string body = StateTable(app, state) + BurnersTable(app) + "<h2>Switch</h2>\n" +
                     SwitchForms(context, values);
  PageAnswer answer;
  answer.code = code;
  answer.html = RenderPage(app, "/autoscaler", "Autoscaler", body, notice);
  return answer;
}

PageAnswer Switch(App& app, PageContext& context) {
  FormFields fields = ParseFormBody(context.request.body());
  SwitchValues values;
  if (auto it = fields.find("target_percent"); it != fields.end())
    values.target_percent = it->second;
  if (auto it = fields.find("duration_s"); it != fields.end()) values.duration_s = it->second;

  if (std::optional<std::string> refusal = RefuseForeignForm(context, fields)) {
    return AutoscalerPage(app, context, Code::Forbidden,
                          {Notice::Kind::kError, "Refused: " + *refusal + "."}, values);
  }
  auto state = fields.find("state");
  std::string wanted = state == fields.end() ? "" : state->second;
  if (wanted == "OFF") {
    SwitchCpuLoadOff(app.triggers.get());
    app.cpu_load_duration_s.store(0);
    app.log->Info("cpu load switched OFF from the autoscaler page");
    PageAnswer answer;
    answer.redirect_to = "/autoscaler?switched=off";
    return answer;
  }
  if (wanted != "ON") {
    return AutoscalerPage(app, context, Code::Bad_Request,
                          {Notice::Kind::kError, "Bad input: the state must be ON or OFF."},
                          values);
  }

  CpuLoadRequest request;
  try {
    request.target_percent = ParseCpuTargetPercent(values.target_percent);
    request.duration = ParseCpuLoadDuration(values.duration_s);
  } catch (const InvalidCpuLoadRequest& e) {
    return AutoscalerPage(app, context, Code::Bad_Request,
                          {Notice::Kind::kError, std::string("Bad input: ") + e.what() + "."},
                          values);
  }
  SwitchCpuLoadOn(app.triggers.get(), request);
  app.cpu_load_duration_s.store(request.duration.count());
  app.log->Info("cpu load switched ON from the autoscaler page: target=" +
                std::to_string(request.target_percent) +
                "% duration=" + std::to_string(request.duration.count()) + "s");
  PageAnswer answer;
  answer.redirect_to = "/autoscaler?switched=on";
  return answer;
}

}  // namespace

void RegisterAutoscalerPage(Pistache::Rest::Router& router, App& app) {
  AddPageRoute(router, app, Pistache::Http::Method::Get, "/autoscaler",
               [&app](PageContext& context) {
                 Notice notice;
                 std::optional<std::string> switched = context.request.query().get("switched");
                 if (switched == std::optional<std::string>("on")) {
                   notice = {Notice::Kind::kSuccess, "CPU load switched ON."};
                 } else if (switched == std::optional<std::string>("off")) {
                   notice = {Notice::Kind::kSuccess, "CPU load switched OFF."};
                 }
                 return AutoscalerPage(app, context, Code::Ok, notice, SwitchValues{});
               });
  AddPageRoute(router, app, Pistache::Http::Method::Post, "/autoscaler",
               [&app](PageContext& context) { return Switch(app, context); });
}

}  // namespace pcfdemo::web
