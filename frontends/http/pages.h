// The HTML pages of pcfdemo-web. main.cc mounts them with RegisterPages; the pages, their
// shared layout, forms and assets are described in ui_pages.h, page_layout.h and
// page_forms.h.
#pragma once

#include <pistache/router.h>

#include "app.h"
#include "routing.h"

namespace pcfdemo::web {

// Mounts every page and the assets they use.
void RegisterPages(Pistache::Rest::Router& router, App& app);

}  // namespace pcfdemo::web
