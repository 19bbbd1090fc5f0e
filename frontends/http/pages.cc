#include "pages.h"

#include "ui_pages.h"

namespace pcfdemo::web {

void RegisterPages(Pistache::Rest::Router& router, App& app) { RegisterUiPages(router, app); }

}  // namespace pcfdemo::web
