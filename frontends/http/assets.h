// The static assets of pcfdemo-web's pages, compiled into the binary so the server needs
// no files beside it: the script (assets_app_js.cc), the stylesheet (assets_app_css.cc)
// and the icon (assets.cc). Served read-only under /assets/ by RegisterAssets.
#pragma once

namespace pcfdemo::web {

extern const char kAppJs[];       // /assets/app.js
extern const char kAppCss[];      // /assets/app.css
extern const char kFaviconSvg[];  // /assets/favicon.svg

}  // namespace pcfdemo::web
