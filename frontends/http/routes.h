// The routes of pcfdemo-web, one Register function per handler file. main.cc calls them
// all; pages (HTML) are registered separately through pages.h.
#pragma once

#include <pistache/router.h>

#include <optional>
#include <string>

#include "app.h"
#include "routing.h"

namespace pcfdemo::web {

// Also mounted on the router; the DirectRoute lets ServingHandler answer it first.
DirectRoute RegisterReceiver(Pistache::Rest::Router& router, App& app);    // receiver.cc
void RegisterHealth(Pistache::Rest::Router& router, App& app);             // health.cc
void RegisterInstance(Pistache::Rest::Router& router, App& app);           // instance.cc
void RegisterRuns(Pistache::Rest::Router& router, App& app);               // runs.cc
void RegisterCpuLoad(Pistache::Rest::Router& router, App& app);            // cpu_load.cc
void RegisterTriggerStoreFlush(Pistache::Rest::Router& router, App& app);  // trigger_store_flush.cc
void RegisterMetrics(Pistache::Rest::Router& router, App& app);            // metrics.cc

// The pending or running run as JSON, as GET /api/runs/current shows it; nullopt when idle.
std::optional<std::string> CurrentRunJson(App& app);  // runs.cc

}  // namespace pcfdemo::web
