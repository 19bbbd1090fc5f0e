// How pcfdemo-web's HTML pages are served: the shared layout (navigation, notices, the
// stylesheet and script from /assets), the security headers every page carries, and the
// mounting of page handlers with HTML error pages instead of JSON ones.
//
// Every page answer carries Content-Security-Policy (no inline script or style, no
// framing), X-Content-Type-Options: nosniff and Cache-Control: no-store, and every page
// request gets the form token of page_forms.h (set as a cookie when it has none).
//
// A handler that throws BackendError gets a 503 page that says which backend does not
// answer (without secrets); any other exception a 500 page. Handlers run on Pistache's
// threads and only read App's thread-safe members.
#pragma once

#include <pistache/http.h>
#include <pistache/router.h>

#include <functional>
#include <string>
#include <string_view>

#include "app.h"

namespace pcfdemo::web {

// A sentence shown above a page's content.
struct Notice {
  enum class Kind { kNone, kInfo, kSuccess, kError };
  Kind kind = Kind::kNone;
  std::string text;  // plain text; escaped when rendered
};

// What a page handler answers: a whole HTML document, or a redirect.
struct PageAnswer {
  Pistache::Http::Code code = Pistache::Http::Code::Ok;
  std::string html;
  std::string redirect_to;  // when not empty: 303 See Other to this local path
};

// What a page handler is given.
struct PageContext {
  const Pistache::Rest::Request& request;
  // The form token this answer's forms must carry (page_forms.h: FormTokenField).
  std::string form_token;
  // The token the browser sent in its cookie; empty when it sent none.
  std::string cookie_token;
};

using PageHandler = std::function<PageAnswer(PageContext&)>;

// Mounts `handler` for `method` and `path`, adding the security headers, the form token
// cookie, the metrics and the HTML error pages described above.
void AddPageRoute(Pistache::Rest::Router& router, App& app, Pistache::Http::Method method,
                  const std::string& path, PageHandler handler);

// The headers of a static asset: this instance's name, nosniff, five minutes of caching.
void AddAssetHeaders(Pistache::Http::ResponseWriter& response);

// A whole document: the layout around `body_html` (already escaped HTML). `title` is plain
// text. `nav_path` marks the navigation entry of this page ("/sender", ...).
std::string RenderPage(const App& app, std::string_view nav_path, std::string_view title,
                       const std::string& body_html, const Notice& notice = {});

// A page answer with `code` whose content is `notice` alone, under `title`; for errors that
// leave nothing else to show.
PageAnswer NoticePage(const App& app, Pistache::Http::Code code, std::string_view nav_path,
                      std::string_view title, const Notice& notice);

// Small builders for page content. Every argument is plain text, escaped here.
std::string Escaped(std::string_view text);
std::string TableRow(std::string_view header, std::string_view value);

// "3 h 4 min", "12 min 5 s", "42 s".
std::string FormatDuration(int64_t seconds);

}  // namespace pcfdemo::web
