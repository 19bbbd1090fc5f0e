#include "ui_pages.h"

#include <algorithm>

#include "page_layout.h"
#include "pcfdemo/backend_error.h"
#include "pcfdemo/html.h"
#include "pcfdemo/run_json.h"

namespace pcfdemo::web {
namespace {

std::string Field(const char* name, const std::string& text) {
  return std::string("<span data-field=\"") + name + "\">" + EscapeHtml(text) + "</span>";
}

}  // namespace

void RegisterUiPages(Pistache::Rest::Router& router, App& app) {
  RegisterAssets(router, app);
  RegisterOverviewPage(router, app);
  RegisterSenderPage(router, app);
  RegisterReceiverStatsPage(router, app);
  RegisterAutoscalerPage(router, app);
  RegisterFlushPage(router, app);
}

std::string CurrentRunSection(App& app, const std::optional<Trigger>& trigger, bool follow_link) {
  std::string status = "pending";
  std::string timestamp = "not started yet";
  int64_t done = 0;
  int64_t total = trigger ? trigger->request.calls : 0;

  if (trigger && trigger->run_timestamp) {
    status = "running";
    timestamp = std::to_string(*trigger->run_timestamp);
    std::optional<Run> run;
    try {
      run = app.runs->GetRun(*trigger->run_timestamp);
    } catch (const BackendError&) {
      // The trigger alone still says what is going on; the script fills in the figures.
    }
    if (run) done = run->current_request_count;
    if (app.request_worker) {
      FanoutProgress live = app.request_worker->progress();
      if (live.total > 0 && live.total == total) done = live.done;
    }
  }
  done = std::clamp<int64_t>(done, 0, std::max<int64_t>(total, 0));
  int64_t percent = total > 0 ? done * 100 / total : 0;

  std::string html = "<section id=\"current-run\" class=\"current-run\" aria-live=\"polite\"";
  if (!trigger) html += " hidden";
  if (trigger && trigger->run_timestamp) {
    html += " data-timestamp=\"" + std::to_string(*trigger->run_timestamp) + "\"";
  }
  html += ">\n<h2>Run in progress</h2>\n<p>Run " + Field("timestamp", timestamp) + ": " +
          Field("status", status) + ", " +
          Field("strategy", trigger ? std::string(StrategyName(trigger->request.strategy)) : "") +
          ", " + Field("calls", std::to_string(total)) + " calls, concurrency " +
          Field("concurrency", trigger ? std::to_string(trigger->request.concurrency) : "") +
          ", to " + Field("destination", trigger ? trigger->request.destination : "") +
          "</p>\n<div class=\"progress-line\"><progress id=\"run-progress\" max=\"" +
          std::to_string(std::max<int64_t>(total, 1)) + "\" value=\"" + std::to_string(done) +
          "\" data-percent=\"" + std::to_string(percent) + "\">" + std::to_string(percent) +
          "%</progress> <span id=\"run-progress-text\">" + std::to_string(done) + " of " +
          std::to_string(total) + " calls (" + std::to_string(percent) + "%)</span></div>\n";
  if (follow_link) {
    html +=
        "<p><a id=\"follow-run\" href=\"/receiver-stats\">Follow it in the Receiver "
        "Overview</a></p>\n";
  }
  return html + "</section>\n";
}

}  // namespace pcfdemo::web
