// GET /flush   what the trigger store holds now, and a form to clear it.
// POST /flush  clears the trigger store (every key: the run trigger, a worker's claim, the
//              CPU load switch, the burners' reports) when the confirmation box is ticked.
//              303 back on success; the page again with a notice and 400 (not confirmed) or
//              403 (a form from elsewhere).
#include "page_forms.h"
#include "page_layout.h"
#include "ui_pages.h"

namespace pcfdemo::web {
namespace {

using Pistache::Http::Code;

std::string StoreTable(App& app) {
  std::optional<Trigger> trigger = app.triggers->Current();
  CpuLoadState cpu = app.triggers->GetCpuLoad();
  std::string run = "none";
  if (trigger) {
    run = (trigger->run_timestamp ? "run " + std::to_string(*trigger->run_timestamp) + " running"
                                  : std::string("a run pending")) +
          ", " + std::to_string(trigger->request.calls) + " calls" +
          (trigger->claimed_by.empty() ? "" : ", claimed by " + trigger->claimed_by);
  }
  return "<table class=\"facts\" id=\"store\">\n" + TableRow("Run trigger", run) +
         TableRow("CPU load", cpu.on ? "ON" : "OFF") +
         TableRow("Burners reporting", std::to_string(app.triggers->Burners().size())) +
         TableRow("Store", app.store->Describe()) + "</table>\n";
}

PageAnswer FlushPage(App& app, const PageContext& context, Code code, const Notice& notice) {
  std::string body =
      "<p>The trigger store coordinates the web instances and the workers: the run trigger "
      "and a worker's claim on it, the CPU load switch and the burners' reports. Flushing it "
      "removes all of them: use it when a run is stuck pending or a dead worker's state is "
      "left behind. Runs already recorded in the database are kept; a worker in the middle of "
      "a run loses its claim and records the run it has. CPU load stops.</p>\n<h2>Now in the "
      "store</h2>\n" +
      StoreTable(app) +
      "<form method=\"post\" action=\"/flush\" class=\"panel\" id=\"flush-form\">\n" +
      FormTokenField(context) +
      "<label class=\"check\"><input type=\"checkbox\" name=\"confirm\" value=\"yes\" "
      "id=\"confirm\" required> I understand that this clears the run trigger and switches "
      "CPU load OFF</label>\n"
      "<button type=\"submit\" class=\"danger\" id=\"flush\">Flush the trigger store</button>"
      "\n</form>\n";
  PageAnswer answer;
  answer.code = code;
  answer.html = RenderPage(app, "/flush", "Flush", body, notice);
  return answer;
}

PageAnswer Flush(App& app, PageContext& context) {
  FormFields fields = ParseFormBody(context.request.body());
  if (std::optional<std::string> refusal = RefuseForeignForm(context, fields)) {
    return FlushPage(app, context, Code::Forbidden,
                     {Notice::Kind::kError, "Refused: " + *refusal + "."});
  }
  auto confirm = fields.find("confirm");
  if (confirm == fields.end() || confirm->second != "yes") {
    return FlushPage(app, context, Code::Bad_Request,
                     {Notice::Kind::kError,
                      "Not flushed: tick the confirmation box to flush the trigger store."});
  }
  app.triggers->Flush();
  app.cpu_load_duration_s.store(0);
  app.log->Info("trigger store flushed from the flush page");
  PageAnswer answer;
  answer.redirect_to = "/flush?flushed=1";
  return answer;
}

}  // namespace

void RegisterFlushPage(Pistache::Rest::Router& router, App& app) {
  AddPageRoute(router, app, Pistache::Http::Method::Get, "/flush", [&app](PageContext& context) {
    Notice notice;
    if (context.request.query().has("flushed")) {
      notice = {Notice::Kind::kSuccess, "The trigger store was flushed."};
    }
    return FlushPage(app, context, Code::Ok, notice);
  });
  AddPageRoute(router, app, Pistache::Http::Method::Post, "/flush",
               [&app](PageContext& context) { return Flush(app, context); });
}

}  // namespace pcfdemo::web
