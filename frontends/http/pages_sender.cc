// GET /sender   the form that triggers a request run (destination, calls, update strategy,
//               concurrency); while a run is pending or running, that run instead, with its
//               progress and a link to follow it.
// POST /sender  triggers the run. The fields are checked by the same CheckRunRequest as
//               POST /api/runs, so the form and the API refuse the same things with the same
//               words. 303 back to /sender on success; the page again with a notice and 400
//               (bad input), 403 (a form from elsewhere) or 409 (a run is already busy).
#include <nlohmann/json.hpp>

#include "page_forms.h"
#include "page_layout.h"
#include "pcfdemo/run_request_validation.h"
#include "ui_pages.h"

namespace pcfdemo::web {
namespace {

using Pistache::Http::Code;

constexpr char kDefaultCalls[] = "100";

// What the form shows in its fields: the policy's defaults, or what the person sent.
struct SenderValues {
  std::string destination;
  std::string calls = kDefaultCalls;
  std::string strategy;
  std::string concurrency;
};

SenderValues Defaults(const App& app) {
  SenderValues values;
  values.destination = app.run_policy.default_destination;
  values.strategy = std::string(StrategyName(app.run_policy.default_strategy));
  values.concurrency = std::to_string(app.run_policy.default_concurrency);
  return values;
}

std::string Trim(const std::string& text) {
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  size_t last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

bool LooksLikeInteger(const std::string& text) {
  size_t digits = text[0] == '-' ? 1 : 0;
  return text.size() > digits && text.size() <= 40 &&
         text.find_first_not_of("0123456789", digits) == std::string::npos;
}

// The form's fields as the JSON body POST /api/runs takes: numbers that look like whole
// numbers become JSON numbers, anything else stays a string for the check to refuse. An
// empty field is left out, so the policy's default applies as in the API.
std::string RunRequestJson(const FormFields& fields) {
  nlohmann::json body = nlohmann::json::object();
  for (const char* name : {"destination", "calls", "strategy", "concurrency"}) {
    auto field = fields.find(name);
    if (field == fields.end()) continue;
    std::string value = Trim(field->second);
    if (value.empty()) continue;
    bool numeric = std::string(name) == "calls" || std::string(name) == "concurrency";
    if (numeric && LooksLikeInteger(value)) {
      // Parsed by the check itself, which refuses what does not fit.
      body[name] = nlohmann::json::parse(value, nullptr, false);
      if (body[name].is_discarded()) body[name] = value;
    } else {
      body[name] = value;
    }
  }
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string StrategyOptions(const std::string& selected) {
  std::string options;
  for (Strategy strategy : kAllStrategies) {
    std::string name(StrategyName(strategy));
    options += "<option value=\"" + Escaped(name) + "\"" + (name == selected ? " selected" : "") +
               ">" + Escaped(name) + "</option>";
  }
  return options;
}

std::string SenderForm(const App& app, const PageContext& context, const SenderValues& values) {
  const RunRequestPolicy& policy = app.run_policy;
  return "<form method=\"post\" action=\"/sender\" class=\"panel\" id=\"sender-form\">\n" +
         FormTokenField(context) +
         "\n<label for=\"destination\">Destination</label>\n"
         "<input id=\"destination\" name=\"destination\" type=\"url\" required value=\"" +
         Escaped(values.destination) +
         "\">\n"
         "<label for=\"calls\">Number of calls</label>\n"
         "<input id=\"calls\" name=\"calls\" type=\"number\" required min=\"1\" max=\"" +
         std::to_string(policy.max_calls) + "\" value=\"" + Escaped(values.calls) +
         "\">\n"
         "<label for=\"strategy\">Update strategy</label>\n"
         "<select id=\"strategy\" name=\"strategy\">" +
         StrategyOptions(values.strategy) +
         "</select>\n"
         "<label for=\"concurrency\">Concurrency</label>\n"
         "<input id=\"concurrency\" name=\"concurrency\" type=\"number\" required min=\"1\" "
         "max=\"" +
         std::to_string(policy.max_concurrency) + "\" value=\"" + Escaped(values.concurrency) +
         "\">\n<button type=\"submit\">Start the run</button>\n</form>\n"
         "<p class=\"hint\">At most " +
         std::to_string(policy.max_calls) + " calls and " + std::to_string(policy.max_concurrency) +
         " at once. <code>read-modify-write</code> reads the count and writes it back in a "
         "second statement, so concurrent calls overwrite each other and updates are lost; "
         "<code>atomic</code>, <code>row-lock</code> and <code>optimistic</code> lose none. "
         "The receivers count each call; the Receiver Overview compares the counts.</p>\n";
}

PageAnswer SenderPage(App& app, const PageContext& context, Code code, const Notice& notice,
                      const SenderValues& values) {
  std::optional<Trigger> current = app.triggers->Current();
  std::string body;
  if (current) {
    body = CurrentRunSection(app, current, /*follow_link=*/true) +
           "<p class=\"hint\">A new run can be started when this one has finished.</p>\n";
  } else {
    body = SenderForm(app, context, values);
  }
  PageAnswer answer;
  answer.code = code;
  answer.html = RenderPage(app, "/sender", "Sender", body, notice);
  return answer;
}

PageAnswer TriggerRun(App& app, PageContext& context) {
  FormFields fields = ParseFormBody(context.request.body());
  SenderValues values = Defaults(app);
  for (auto [name, target] :
       {std::pair{"destination", &values.destination}, std::pair{"calls", &values.calls},
        std::pair{"strategy", &values.strategy}, std::pair{"concurrency", &values.concurrency}}) {
    auto field = fields.find(name);
    if (field != fields.end()) *target = field->second;
  }

  if (std::optional<std::string> refusal = RefuseForeignForm(context, fields)) {
    return SenderPage(app, context, Code::Forbidden,
                      {Notice::Kind::kError, "Refused: " + *refusal + "."}, values);
  }
  RunRequestCheck check = CheckRunRequest(RunRequestJson(fields), app.run_policy);
  if (!check.ok()) {
    return SenderPage(app, context, Code::Bad_Request,
                      {Notice::Kind::kError, "Bad input: " + check.error + "."}, values);
  }

  const RunRequest& run = *check.request;
  if (!app.triggers->TryTrigger(run)) {
    app.metrics.runs_refused_busy.fetch_add(1, std::memory_order_relaxed);
    return SenderPage(app, context, Code::Conflict,
                      {Notice::Kind::kError,
                       "Busy: a run is already pending or running (shown below); start a new "
                       "one when it has finished."},
                      values);
  }
  app.metrics.runs_triggered.fetch_add(1, std::memory_order_relaxed);
  std::optional<HttpUrl> url = ParseHttpUrl(run.destination);
  app.log->Info("run triggered from the sender page: calls=" + std::to_string(run.calls) +
                " strategy=" + std::string(StrategyName(run.strategy)) +
                " concurrency=" + std::to_string(run.concurrency) + " destination=" +
                (url ? url->scheme + "://" + url->host + ":" + std::to_string(url->port) : "?"));
  PageAnswer answer;
  answer.redirect_to = "/sender?triggered=1";
  return answer;
}

}  // namespace

void RegisterSenderPage(Pistache::Rest::Router& router, App& app) {
  AddPageRoute(router, app, Pistache::Http::Method::Get, "/sender", [&app](PageContext& context) {
    Notice notice;
    if (context.request.query().has("triggered")) {
      notice = {Notice::Kind::kSuccess,
                "The run was triggered; a worker picks it up within a poll interval."};
    }
    return SenderPage(app, context, Code::Ok, notice, Defaults(app));
  });
  AddPageRoute(router, app, Pistache::Http::Method::Post, "/sender",
               [&app](PageContext& context) { return TriggerRun(app, context); });
}

}  // namespace pcfdemo::web
