// The web UI of pcfdemo-web: server-rendered pages that work without JavaScript, plus
// /assets/app.js, which only adds live updates (the progress of the run in progress, the
// CPU load's time left). One file per page; RegisterUiPages mounts them all with their
// assets.
//
//   GET /, /overview          this instance, its backends, its environment (secrets hidden)
//   GET/POST /sender          trigger a run, or the run in progress
//   GET /receiver-stats       every run, paged; the run in progress; charts
//   GET/POST /autoscaler      the CPU load switch
//   GET/POST /flush           clear the trigger store, after a confirmation
//   GET /assets/{name}        app.js, app.css, favicon.svg, compiled into the binary
//
// A POST answers 303 back to its page on success, or the page again with a notice: 400 for
// bad input, 403 for a form from elsewhere, 409 while a run is busy, 503 when a backend does
// not answer. A GET never changes anything.
#pragma once

#include <pistache/router.h>

#include <optional>
#include <string>

#include "app.h"
#include "pcfdemo/trigger_store.h"

namespace pcfdemo::web {

// Mounts every page below and the assets.
void RegisterUiPages(Pistache::Rest::Router& router, App& app);

void RegisterOverviewPage(Pistache::Rest::Router& router, App& app);  // pages_overview.cc
void RegisterSenderPage(Pistache::Rest::Router& router, App& app);    // pages_sender.cc
void RegisterReceiverStatsPage(Pistache::Rest::Router& router,
                               App& app);                               // pages_receiver_stats.cc
void RegisterAutoscalerPage(Pistache::Rest::Router& router, App& app);  // pages_autoscaler.cc
void RegisterFlushPage(Pistache::Rest::Router& router, App& app);       // pages_flush.cc
void RegisterAssets(Pistache::Rest::Router& router, App& app);          // assets.cc

// The run in progress as HTML, with a progress bar that app.js keeps up to date (it polls
// /api/runs/current). With `trigger` nullopt the section is there but hidden, so the script
// can show a run that starts later. `follow_link` adds a link to the Receiver Overview.
// Reads the run's row; a repository that does not answer leaves the row's figures out.
std::string CurrentRunSection(App& app, const std::optional<Trigger>& trigger, bool follow_link);

}  // namespace pcfdemo::web
