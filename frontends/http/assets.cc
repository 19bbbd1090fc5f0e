// GET /assets/app.js, /assets/app.css, /assets/favicon.svg
//
// The pages' script, stylesheet and icon, from the binary itself. Answers carry their exact
// type, nosniff, and may be cached for five minutes; anything else under /assets is 404.
#include "assets.h"

#include <string>

#include "answer_writer.h"
#include "page_layout.h"
#include "routes.h"
#include "routing.h"
#include "ui_pages.h"

namespace pcfdemo::web {

const char kFaviconSvg[] =
    R"svg(<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">)svg"
    R"svg(<rect width="16" height="16" rx="3" fill="#1f5f8b"/>)svg"
    R"svg(<path d="M3 12V4h4a2.5 2.5 0 0 1 0 5H5v3z" fill="#fff"/>)svg"
    R"svg(<rect x="10" y="7" width="3" height="5" fill="#f2b134"/></svg>)svg";

namespace {

struct Asset {
  const char* path;
  const char* content_type;
  const char* body;
};

const Asset kAssets[] = {
    {"/assets/app.js", "text/javascript; charset=utf-8", kAppJs},
    {"/assets/app.css", "text/css; charset=utf-8", kAppCss},
    {"/assets/favicon.svg", "image/svg+xml", kFaviconSvg},
};

}  // namespace

void RegisterAssets(Pistache::Rest::Router& router, App& app) {
  for (const Asset& asset : kAssets) {
    RouteCounters* counters = app.metrics.ForRoute(std::string("GET ") + asset.path);
    MountRoute(router, app, Pistache::Http::Method::Get, asset.path,
               [&app, counters, &asset](const Pistache::Rest::Request& request,
                                        Pistache::Http::ResponseWriter response) {
                 AddAssetHeaders(response);
                 counters->Count(200);
                 WriteAnswer(request, response, Pistache::Http::Code::Ok, app.instance,
                             asset.content_type, asset.body);
                 return Pistache::Rest::Route::Result::Ok;
               });
  }
}

}  // namespace pcfdemo::web
