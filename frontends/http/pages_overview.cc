// GET / and GET /overview
//
// Which instance answered (index, GUID, host, version, uptime), which backends it uses and
// whether they answer right now, and its environment variables with every secret hidden
// (pcfdemo/redaction.h, then the secrets this process was configured with).
#include "page_layout.h"
#include "pcfdemo/config.h"
#include "pcfdemo/redaction.h"
#include "pcfdemo/run_json.h"
#include "ui_pages.h"

namespace pcfdemo::web {
namespace {

std::string InstanceTable(const App& app) {
  int64_t now_ms = app.clock->NowMicros() / 1000;
  return "<table class=\"facts\" id=\"instance\">\n" +
         TableRow("Instance index", std::to_string(app.config.instance_index)) +
         TableRow("Instance GUID", app.config.instance_guid) + TableRow("Host", app.host_name) +
         TableRow("Version", app.version) + TableRow("Mode", app.mode()) +
         TableRow("Started", FormatIsoUtc(app.started_at_ms)) +
         TableRow("Uptime", FormatDuration((now_ms - app.started_at_ms) / 1000)) +
         TableRow("Workers", app.request_worker ? "request and CPU load workers in this process"
                                                : "in separate pcfdemo-worker processes") +
         "</table>\n";
}

std::string BackendRow(const std::string& role, const std::string& description, bool up,
                       const std::string& reason) {
  std::string state = up ? "<span class=\"badge ok\">answers</span>"
                         : "<span class=\"badge bad\">does not answer</span>";
  if (!up && !reason.empty()) state += " <span class=\"reason\">" + Escaped(reason) + "</span>";
  return "<tr><th scope=\"row\">" + Escaped(role) + "</th><td>" + Escaped(description) +
         "</td><td>" + state + "</td></tr>\n";
}

std::string BackendTable(App& app) {
  // Ask now rather than show the last periodic probe: a person looking is the reason to ask.
  ProbeBackends(app);
  bool store_up = app.health.store_up.load();
  bool runs_up = app.health.runs_up.load();
  std::string store_reason;
  std::string runs_reason;
  {
    std::lock_guard<std::mutex> lock(app.health.mu);
    store_reason = app.health.store_reason;
    runs_reason = app.health.runs_reason;
  }
  return "<table class=\"facts\" id=\"backends\">\n<tr><th>Role</th><th>Backend</th>"
         "<th>State</th></tr>\n" +
         BackendRow("Triggers (key-value store)", app.store->Describe(), store_up, store_reason) +
         BackendRow("Runs (run repository)", app.runs->Describe(), runs_up, runs_reason) +
         "</table>\n";
}

std::string EnvironmentTable(const App& app) {
  std::string rows;
  for (const auto& [name, value] : RedactEnvironment(ProcessEnvironment())) {
    rows += "<tr><th scope=\"row\">" + Escaped(name) + "</th><td><code>" +
            Escaped(app.log->Scrub(value)) + "</code></td></tr>\n";
  }
  return "<p class=\"hint\">Values of variables named like a secret (password, secret, token, "
         "key, credential), passwords inside URLs and every credential of a bound service are "
         "shown as ***.</p>\n<table class=\"environment\" id=\"environment\">\n"
         "<tr><th>Variable</th><th>Value</th></tr>\n" +
         rows + "</table>\n";
}

PageAnswer Overview(App& app) {
  std::string body = "<h2>This instance</h2>\n" + InstanceTable(app) + "<h2>Backends</h2>\n" +
                     BackendTable(app) + "<h2>Environment</h2>\n" + EnvironmentTable(app);
  PageAnswer answer;
  answer.html = RenderPage(app, "/", "Overview", body);
  return answer;
}

}  // namespace

void RegisterOverviewPage(Pistache::Rest::Router& router, App& app) {
  for (const char* path : {"/", "/overview"}) {
    AddPageRoute(router, app, Pistache::Http::Method::Get, path,
                 [&app](PageContext&) { return Overview(app); });
  }
}

}  // namespace pcfdemo::web
