// How pcfdemo-web's handlers are written and mounted: a handler is a function from a
// request to a Reply; AddRoute mounts it on the router, counts the answer in the metrics,
// turns a BackendError into 503 and any other exception into 500 (always a JSON
// {"error": ...} without secrets), and names this instance in every response.
#pragma once

#include <pistache/http.h>
#include <pistache/router.h>

#include <functional>
#include <string>
#include <string_view>

#include "app.h"

namespace pcfdemo::web {

inline constexpr char kJsonContentType[] = "application/json";

struct Reply {
  Pistache::Http::Code code = Pistache::Http::Code::Ok;
  std::string body;
  std::string content_type = kJsonContentType;
};

using RouteHandler = std::function<Reply(const Pistache::Rest::Request&)>;

// A handler of a route without path parameters, given the request as Pistache parsed it.
using PlainRouteHandler = std::function<Reply(const Pistache::Http::Request&)>;

// A route answered before Pistache's router sees the request (see ServingHandler): requests
// with exactly `method` and `path` (query aside) are given to `answer`.
struct DirectRoute {
  Pistache::Http::Method method = Pistache::Http::Method::Get;
  std::string path;
  std::function<void(const Pistache::Http::Request&, Pistache::Http::ResponseWriter&)> answer;
};

// A reply with a JSON body.
Reply JsonReply(Pistache::Http::Code code, std::string body);

// {"error": message} with `code`.
Reply ErrorReply(Pistache::Http::Code code, std::string_view message);

// Mounts `handler` for `method` and `path` (Pistache syntax, e.g. "/api/runs/:timestamp").
void AddRoute(Pistache::Rest::Router& router, App& app, Pistache::Http::Method method,
              const std::string& path, RouteHandler handler);

// Mounts `handler` like AddRoute and returns it as a DirectRoute too, for a hot path that
// the router's copy of every request would slow down. REQUIRES: `path` has no parameters.
DirectRoute AddDirectRoute(Pistache::Rest::Router& router, App& app, Pistache::Http::Method method,
                           const std::string& path, PlainRouteHandler handler);

// Mounts a Pistache handler and records the path's method in app.methods_by_path. Every
// route of pcfdemo-web is mounted through this, so that SetFallbackRoutes knows them all.
void MountRoute(Pistache::Rest::Router& router, App& app, Pistache::Http::Method method,
                const std::string& path, Pistache::Rest::Route::Handler handler);

// The request counters of the route `method` `path`, labelled "<METHOD> <path>" in /metrics.
// Thread-safe.
RouteCounters* CountersForRoute(App& app, Pistache::Http::Method method, const std::string& path);

// Answers unknown routes with 404 {"error": ...}, and a known path asked with a method it
// does not take (HEAD included) with 405 {"error": ...} and an Allow header, both through
// WriteAnswer like every other answer (Pistache's own 405 would be queued and plain text).
// REQUIRES: called once, after every route is mounted.
void SetFallbackRoutes(Pistache::Rest::Router& router, App& app);

// The request's Content-Type as sent ("" when absent).
std::string ContentTypeOf(const Pistache::Rest::Request& request);

// The 400 reply for a state change whose Content-Type is not application/json, or nullopt
// when it is.
std::optional<Reply> RequireJsonContentType(const Pistache::Rest::Request& request);

// Parses a decimal integer made only of digits (an optional leading '-' is refused) that
// fits in int64; nullopt otherwise.
std::optional<int64_t> ParseDecimal(std::string_view text);

}  // namespace pcfdemo::web
