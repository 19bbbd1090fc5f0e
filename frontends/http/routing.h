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

// A reply with a JSON body.
Reply JsonReply(Pistache::Http::Code code, std::string body);

// {"error": message} with `code`.
Reply ErrorReply(Pistache::Http::Code code, std::string_view message);

// Mounts `handler` for `method` and `path` (Pistache syntax, e.g. "/api/runs/:timestamp").
// Limitation: a known path asked with another method gets Pistache's own plain-text 405,
// not a JSON error; Pistache 0.0.5's router answers it before any handler of ours runs.
void AddRoute(Pistache::Rest::Router& router, App& app, Pistache::Http::Method method,
              const std::string& path, RouteHandler handler);

// The request counters of the route `method` `path`, labelled "<METHOD> <path>" in /metrics.
// Thread-safe.
RouteCounters* CountersForRoute(App& app, Pistache::Http::Method method, const std::string& path);

// Answers unknown routes with 404 {"error": ...}.
void SetNotFoundRoute(Pistache::Rest::Router& router, App& app);

// The request's Content-Type as sent ("" when absent).
std::string ContentTypeOf(const Pistache::Rest::Request& request);

// The 400 reply for a state change whose Content-Type is not application/json, or nullopt
// when it is.
std::optional<Reply> RequireJsonContentType(const Pistache::Rest::Request& request);

// Parses a decimal integer made only of digits (an optional leading '-' is refused) that
// fits in int64; nullopt otherwise.
std::optional<int64_t> ParseDecimal(std::string_view text);

}  // namespace pcfdemo::web
