#include "pages.h"

#include "pcfdemo/html.h"

namespace pcfdemo::web {

void RegisterPages(Pistache::Rest::Router& router, App& app) {
  RegisterRootPage(router, app);
  // Further pages (/overview, /sender, /receiver-stats, /autoscaler) register here.
}

Reply PageReply(const App& app, const std::string& title, const std::string& body_html) {
  Reply reply;
  reply.content_type = "text/html; charset=utf-8";
  reply.body =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<title>" + EscapeHtml(title) + " - pcfdemo</title>\n"
      "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
      "td,th{border:1px solid #ccc;padding:.3em .6em;text-align:right}"
      "th{background:#f4f4f4}nav a{margin-right:1em}</style>\n"
      "</head>\n<body>\n<nav><a href=\"/\">Home</a><a href=\"/api/instance\">Instance</a>"
      "<a href=\"/api/runs\">Runs (JSON)</a><a href=\"/metrics\">Metrics</a></nav>\n"
      "<h1>" + EscapeHtml(title) + "</h1>\n" + body_html +
      "<footer><p>Served by instance " + EscapeHtml(app.instance) + ", pcfdemo " +
      EscapeHtml(app.version) + "</p></footer>\n</body>\n</html>\n";
  return reply;
}

}  // namespace pcfdemo::web
