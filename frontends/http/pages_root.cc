// GET /
//
// The home page: which instance answered (index, guid, host, mode, backends) and the
// latest 20 runs with their counts, lost updates and status. Every value is escaped.
#include "pages.h"
#include "pcfdemo/backend_error.h"
#include "pcfdemo/html.h"
#include "pcfdemo/run_json.h"

namespace pcfdemo::web {
namespace {

std::string Cell(const std::string& text) { return "<td>" + EscapeHtml(text) + "</td>"; }

std::string Row(const std::string& name, const std::string& value) {
  return "<tr><th>" + EscapeHtml(name) + "</th>" + Cell(value) + "</tr>\n";
}

std::string InstanceTable(const App& app) {
  return "<table>\n" + Row("Instance", app.instance) +
         Row("Index", std::to_string(app.config.instance_index)) +
         Row("GUID", app.config.instance_guid) + Row("Host", app.host_name) +
         Row("Mode", app.mode()) + Row("Started", FormatIsoUtc(app.started_at_ms)) +
         Row("Key-value store", app.store->Describe()) +
         Row("Run repository", app.runs->Describe()) + "</table>\n";
}

std::string RunsTable(App& app) {
  std::vector<Run> runs;
  try {
    runs = app.runs->ListRuns(20, 0);
  } catch (const BackendError& e) {
    return "<p>The runs cannot be shown: " + EscapeHtml(app.log->Scrub(e.what())) + "</p>\n";
  }
  if (runs.empty()) return "<p>No runs yet.</p>\n";

  std::string html =
      "<table>\n<tr><th>Timestamp</th><th>Started</th><th>Strategy</th><th>Status</th>"
      "<th>Requested</th><th>Counted</th><th>Succeeded</th><th>Failed</th>"
      "<th>Lost updates</th></tr>\n";
  for (const Run& run : runs) {
    bool ended = run.status == RunStatus::kFinished || run.status == RunStatus::kAbandoned;
    int64_t started_ms = run.started_at_ms > 0 ? run.started_at_ms : run.timestamp * 1000;
    html += "<tr>" + Cell(std::to_string(run.timestamp)) + Cell(FormatIsoUtc(started_ms)) +
            Cell(std::string(StrategyName(run.strategy))) +
            Cell(std::string(RunStatusName(run.status))) +
            Cell(std::to_string(run.max_possible_count)) +
            Cell(std::to_string(run.current_request_count)) +
            Cell(std::to_string(run.succeeded_calls)) + Cell(std::to_string(run.failed_calls)) +
            Cell(ended ? std::to_string(run.lost_updates()) : "-") + "</tr>\n";
  }
  return html + "</table>\n";
}

}  // namespace

void RegisterRootPage(Pistache::Rest::Router& router, App& app) {
  AddRoute(router, app, Pistache::Http::Method::Get, "/", [&app](const Pistache::Rest::Request&) {
    std::string body = "<h2>This instance</h2>\n" + InstanceTable(app) +
                       "<h2>Latest runs</h2>\n" + RunsTable(app);
    return PageReply(app, "Instance " + app.instance, body);
  });
}

}  // namespace pcfdemo::web
