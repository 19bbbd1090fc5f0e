// The HTML pages of pcfdemo-web: server-rendered, one file per page (pages_<name>.cc),
// each with a Register<Name>Page function declared here and called from RegisterPages in
// pages.cc. A page builds its content with EscapeHtml (pcfdemo/html.h) around every value
// and wraps it with PageReply, which adds the shared layout and navigation.
//
// Pages read through App like the JSON API does and show a backend that is down as a
// sentence on the page instead of failing the whole page.
#pragma once

#include <pistache/router.h>

#include <string>

#include "app.h"
#include "routing.h"

namespace pcfdemo::web {

// Mounts every page.
void RegisterPages(Pistache::Rest::Router& router, App& app);

// GET /: this instance and the latest runs (pages_root.cc).
void RegisterRootPage(Pistache::Rest::Router& router, App& app);

// A 200 text/html reply: the shared layout with `title` (plain text, escaped here) and
// `body_html` (already escaped HTML) inside.
Reply PageReply(const App& app, const std::string& title, const std::string& body_html);

}  // namespace pcfdemo::web
