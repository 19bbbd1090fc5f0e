// GET /receiver-stats?page=P&run=T   the Receiver Overview
// GET /receiver-stats/current        {"run": the run in progress or null}, for app.js
//
// The run in progress with its progress bar (kept current by app.js), every run newest
// first, 20 to a page, with calls requested, succeeded and counted, lost updates, strategy,
// duration and calls per instance; a chart of the lost updates of the latest runs coloured
// by strategy, with each strategy's totals; and how the calls of one run (?run=T, by
// default the newest that ended) spread over the instances. Charts are plain SVG drawn
// here, so the page needs no script to show them.
#include <algorithm>
#include <map>

#include "page_layout.h"
#include "pcfdemo/backend_error.h"
#include "pcfdemo/run_json.h"
#include "routes.h"
#include "routing.h"
#include "ui_pages.h"

namespace pcfdemo::web {
namespace {

using Pistache::Http::Code;

constexpr int kRunsPerPage = 20;
constexpr int kChartRuns = 40;

bool Ended(const Run& run) {
  return run.status == RunStatus::kFinished || run.status == RunStatus::kAbandoned;
}

std::string Num(int64_t value) {
  return std::to_string(value);
}

std::string Fixed1(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f", value);
  return text;
}

std::string RunDuration(const Run& run) {
  if (!Ended(run) || run.finished_at_ms <= 0 || run.started_at_ms <= 0) return "running";
  int64_t ms = std::max<int64_t>(0, run.finished_at_ms - run.started_at_ms);
  if (ms < 10000) return Fixed1(ms / 1000.0) + " s";
  return FormatDuration(ms / 1000);
}

// "2024-05-01 12:34:56", UTC.
std::string StartedText(int64_t epoch_ms) {
  std::string text = FormatIsoUtc(epoch_ms).substr(0, 19);
  if (text.size() > 10 && text[10] == 'T') text[10] = ' ';
  return text;
}

std::string InstancesText(const Run& run) {
  std::string text;
  for (const auto& [instance, calls] : run.instances) {
    if (!text.empty()) text += ", ";
    text += instance + ": " + Num(calls);
  }
  return text.empty() ? "-" : text;
}

std::string Cell(const std::string& text, const char* css = nullptr) {
  std::string open = css ? std::string("<td class=\"") + css + "\">" : std::string("<td>");
  return open + Escaped(text) + "</td>";
}

std::string PageLink(int page, const std::optional<int64_t>& selected, const std::string& text,
                     const char* rel) {
  std::string href = "/receiver-stats?page=" + Num(page);
  if (selected) href += "&amp;run=" + Num(*selected);
  return std::string("<a rel=\"") + rel + "\" href=\"" + href + "\">" + Escaped(text) + "</a>";
}

std::string RunsTable(const std::vector<Run>& runs, int page, int64_t total,
                      const std::optional<int64_t>& selected) {
  int pages = static_cast<int>(std::max<int64_t>(1, (total + kRunsPerPage - 1) / kRunsPerPage));
  std::string html;
  if (runs.empty()) {
    html = total == 0 ? "<p id=\"no-runs\">No runs yet. Start one from the "
                        "<a href=\"/sender\">Sender</a>.</p>\n"
                      : "<p id=\"no-runs\">This page is past the last run.</p>\n";
  } else {
    html =
        "<div class=\"table-scroll\"><table class=\"runs\" id=\"runs\">\n<thead><tr>"
        "<th>Run</th><th>Started (UTC)</th><th>Strategy</th><th>Status</th>"
        "<th>Requested</th><th>Succeeded</th><th>Counted</th><th>Lost updates</th>"
        "<th>Duration</th><th>Calls per instance</th><th></th></tr></thead>\n<tbody>\n";
    for (const Run& run : runs) {
      int64_t started_ms = run.started_at_ms > 0 ? run.started_at_ms : run.timestamp * 1000;
      bool is_selected = selected && *selected == run.timestamp;
      std::string lost = Ended(run) ? Num(run.lost_updates()) : "-";
      html += "<tr data-timestamp=\"" + Num(run.timestamp) + "\"" +
              (is_selected ? " class=\"selected\"" : "") + ">" + Cell(Num(run.timestamp)) +
              Cell(StartedText(started_ms)) + Cell(std::string(StrategyName(run.strategy))) +
              Cell(std::string(RunStatusName(run.status))) +
              Cell(Num(run.max_possible_count), "num requested") +
              Cell(Ended(run) ? Num(run.succeeded_calls) : "-", "num succeeded") +
              Cell(Num(run.current_request_count), "num counted") +
              Cell(lost, run.lost_updates() > 0 && Ended(run) ? "num lost some" : "num lost") +
              Cell(RunDuration(run), "num duration") + Cell(InstancesText(run), "instances") +
              "<td><a href=\"/receiver-stats?page=" + Num(page) + "&amp;run=" + Num(run.timestamp) +
              "#distribution\">instances</a></td></tr>\n";
    }
    html += "</tbody></table></div>\n";
  }
  html += "<p class=\"pager\">";
  if (page > 1) html += PageLink(page - 1, selected, "Newer runs", "prev") + " ";
  html += "Page " + Num(page) + " of " + Num(pages) + " (" + Num(total) + " runs)";
  if (page < pages) html += " " + PageLink(page + 1, selected, "Older runs", "next");
  return html + "</p>\n";
}

// A strategy's CSS class: "s-read-modify-write", ...
std::string StrategyClass(Strategy strategy) {
  return "s-" + std::string(StrategyName(strategy));
}

std::string LostUpdatesChart(const std::vector<Run>& latest) {
  std::vector<const Run*> runs;
  for (auto it = latest.rbegin(); it != latest.rend(); ++it) {
    if (Ended(*it)) runs.push_back(&*it);
  }
  if (runs.empty()) return "<p>The chart appears when a run has finished.</p>\n";

  struct Totals {
    int64_t runs = 0;
    int64_t succeeded = 0;
    int64_t lost = 0;
  };
  std::map<Strategy, Totals> totals;
  int64_t max_lost = 1;
  for (const Run* run : runs) {
    Totals& t = totals[run->strategy];
    t.runs += 1;
    t.succeeded += run->succeeded_calls;
    t.lost += run->lost_updates();
    max_lost = std::max(max_lost, run->lost_updates());
  }

  constexpr int kWidth = 640, kHeight = 220, kLeft = 48, kBottom = 24, kTop = 12;
  int plot_height = kHeight - kBottom - kTop;
  double slot = static_cast<double>(kWidth - kLeft - 8) / kChartRuns;
  std::string svg = "<svg class=\"chart\" id=\"lost-chart\" viewBox=\"0 0 " + Num(kWidth) + " " +
                    Num(kHeight) +
                    "\" role=\"img\" aria-labelledby=\"lost-chart-title\">"
                    "<title id=\"lost-chart-title\">Lost updates of the latest runs, oldest "
                    "left, coloured by strategy</title>";
  int baseline = kHeight - kBottom;
  svg += "<line class=\"axis\" x1=\"" + Num(kLeft) + "\" y1=\"" + Num(baseline) + "\" x2=\"" +
         Num(kWidth - 4) + "\" y2=\"" + Num(baseline) + "\"/>";
  svg += "<line class=\"axis\" x1=\"" + Num(kLeft) + "\" y1=\"" + Num(kTop) + "\" x2=\"" +
         Num(kLeft) + "\" y2=\"" + Num(baseline) + "\"/>";
  svg += "<text class=\"label\" x=\"" + Num(kLeft - 6) + "\" y=\"" + Num(kTop + 4) +
         "\" text-anchor=\"end\">" + Num(max_lost) + "</text>";
  svg += "<text class=\"label\" x=\"" + Num(kLeft - 6) + "\" y=\"" + Num(baseline) +
         "\" text-anchor=\"end\">0</text>";
  svg += "<text class=\"label\" x=\"" + Num(kLeft) + "\" y=\"" + Num(kHeight - 6) +
         "\">older</text><text class=\"label\" x=\"" + Num(kWidth - 4) + "\" y=\"" +
         Num(kHeight - 6) + "\" text-anchor=\"end\">newer</text>";
  for (size_t i = 0; i < runs.size(); ++i) {
    const Run& run = *runs[i];
    int height = static_cast<int>(static_cast<double>(run.lost_updates()) * plot_height / max_lost);
    height = std::max(height, 2);  // a run that lost nothing still shows as a sliver
    // The newest run stands at the right end, whatever the number of runs.
    double x =
        kLeft + 4 + (kChartRuns - static_cast<int>(runs.size()) + static_cast<int>(i)) * slot;
    svg += "<rect class=\"bar " + StrategyClass(run.strategy) + "\" x=\"" + Fixed1(x) + "\" y=\"" +
           Num(baseline - height) + "\" width=\"" + Fixed1(slot * 0.7) + "\" height=\"" +
           Num(height) + "\"><title>run " + Num(run.timestamp) + ", " +
           Escaped(std::string(StrategyName(run.strategy))) + ": " + Num(run.lost_updates()) +
           " lost of " + Num(run.succeeded_calls) + " succeeded</title></rect>";
  }
  svg += "</svg>\n";

  std::string legend =
      "<table class=\"legend\" id=\"strategy-totals\">\n<tr><th>Strategy</th>"
      "<th>Runs</th><th>Succeeded</th><th>Lost updates</th><th>Lost</th></tr>\n";
  for (const auto& [strategy, t] : totals) {
    double share = t.succeeded > 0 ? 100.0 * t.lost / t.succeeded : 0;
    legend += "<tr><th scope=\"row\"><span class=\"swatch " + StrategyClass(strategy) +
              "\"></span>" + Escaped(std::string(StrategyName(strategy))) + "</th>" +
              Cell(Num(t.runs), "num") + Cell(Num(t.succeeded), "num") + Cell(Num(t.lost), "num") +
              Cell(Fixed1(share) + " %", "num") + "</tr>\n";
  }
  return svg + legend + "</table>\n";
}

std::string DistributionChart(const std::optional<Run>& run) {
  if (!run) return "<p>Select a run that has ended to see how its calls spread.</p>\n";
  std::string html = "<p>Run <strong>" + Num(run->timestamp) + "</strong> (" +
                     Escaped(std::string(StrategyName(run->strategy))) + ", " +
                     Num(run->succeeded_calls) + " succeeded, " + Num(run->current_request_count) +
                     " counted, " + Num(run->lost_updates()) + " lost)</p>\n";
  if (run->instances.empty()) return html + "<p>No instance answered a call of this run.</p>\n";

  int64_t max_calls = 1;
  for (const auto& [instance, calls] : run->instances) max_calls = std::max(max_calls, calls);
  constexpr int kWidth = 640, kRow = 26, kLabel = 200;
  int height = static_cast<int>(run->instances.size()) * kRow + 8;
  std::string svg = "<svg class=\"chart\" id=\"distribution-chart\" viewBox=\"0 0 " + Num(kWidth) +
                    " " + Num(height) +
                    "\" role=\"img\" aria-label=\"Calls answered per instance\">";
  int row = 0;
  for (const auto& [instance, calls] : run->instances) {
    int y = 4 + row * kRow;
    int width = static_cast<int>(static_cast<double>(calls) * (kWidth - kLabel - 70) / max_calls);
    svg += "<text class=\"label\" x=\"" + Num(kLabel - 8) + "\" y=\"" + Num(y + 16) +
           "\" text-anchor=\"end\">" + Escaped(instance) + "</text>";
    svg += "<rect class=\"bar instance-bar\" x=\"" + Num(kLabel) + "\" y=\"" + Num(y + 2) +
           "\" width=\"" + Num(std::max(width, 1)) + "\" height=\"" + Num(kRow - 8) + "\"><title>" +
           Escaped(instance) + ": " + Num(calls) + " calls</title></rect>";
    svg += "<text class=\"label value\" x=\"" + Num(kLabel + std::max(width, 1) + 6) + "\" y=\"" +
           Num(y + 16) + "\">" + Num(calls) + "</text>";
    ++row;
  }
  return html + svg + "</svg>\n";
}

std::optional<int64_t> QueryNumber(const Pistache::Rest::Request& request, const char* name,
                                   bool* malformed) {
  std::optional<std::string> text = request.query().get(name);
  if (!text) return std::nullopt;
  std::optional<int64_t> value = ParseDecimal(*text);
  if (!value || *value < 1) *malformed = true;
  return value;
}

PageAnswer ReceiverStats(App& app, const PageContext& context) {
  bool bad_page = false;
  bool bad_run = false;
  std::optional<int64_t> page_number = QueryNumber(context.request, "page", &bad_page);
  std::optional<int64_t> selected = QueryNumber(context.request, "run", &bad_run);
  if (bad_page || bad_run || (page_number && *page_number > 1000000)) {
    return NoticePage(
        app, Code::Bad_Request, "/receiver-stats", "Receiver Overview",
        {Notice::Kind::kError, "Bad input: page and run must be positive whole numbers."});
  }
  int page = static_cast<int>(page_number.value_or(1));

  std::optional<Trigger> current = app.triggers->Current();
  std::vector<Run> runs = app.runs->ListRuns(kRunsPerPage, (page - 1) * kRunsPerPage);
  int64_t total = app.runs->CountRuns();
  std::vector<Run> latest = app.runs->ListRuns(kChartRuns, 0);

  Notice notice;
  std::optional<Run> selected_run;
  if (selected) {
    selected_run = app.runs->GetRun(*selected);
    if (!selected_run) {
      notice = {Notice::Kind::kError, "There is no run " + Num(*selected) + "."};
    }
  } else {
    for (const Run& run : latest) {
      if (Ended(run)) {
        selected_run = run;
        break;
      }
    }
  }
  std::optional<int64_t> marked;
  if (selected_run) marked = selected_run->timestamp;

  std::string body = CurrentRunSection(app, current, /*follow_link=*/false) +
                     "<div id=\"runs-area\">\n<h2>Runs</h2>\n" +
                     RunsTable(runs, page, total, marked) +
                     "<div class=\"charts\"><section><h2>Lost updates per strategy</h2>\n" +
                     LostUpdatesChart(latest) +
                     "</section><section id=\"distribution\"><h2>Calls per instance</h2>\n" +
                     DistributionChart(selected_run) + "</section></div>\n</div>\n";
  PageAnswer answer;
  answer.code = notice.kind == Notice::Kind::kError ? Code::Not_Found : Code::Ok;
  answer.html = RenderPage(app, "/receiver-stats", "Receiver Overview", body, notice);
  return answer;
}

// {"run": the pending or running run as GET /api/runs/current shows it, or null}. The
// pages poll this rather than /api/runs/current, whose 404 while idle a browser would log
// as an error every half second.
Reply CurrentRunForPages(App& app) {
  return JsonReply(Code::Ok, "{\"run\":" + CurrentRunJson(app).value_or("null") + "}");
}

}  // namespace

void RegisterReceiverStatsPage(Pistache::Rest::Router& router, App& app) {
  AddPageRoute(router, app, Pistache::Http::Method::Get, "/receiver-stats",
               [&app](PageContext& context) { return ReceiverStats(app, context); });
  AddRoute(router, app, Pistache::Http::Method::Get, "/receiver-stats/current",
           [&app](const Pistache::Rest::Request&) { return CurrentRunForPages(app); });
}

}  // namespace pcfdemo::web
