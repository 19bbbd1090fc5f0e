#include "routing.h"

#include <algorithm>
#include <exception>
#include <nlohmann/json.hpp>

#include "answer_writer.h"
#include "pcfdemo/backend_error.h"

namespace pcfdemo::web {
namespace {

using Pistache::Http::Code;

void Send(App& app, RouteCounters* counters, const Pistache::Http::Request& request, Reply reply,
          Pistache::Http::ResponseWriter& response) {
  counters->Count(static_cast<int>(reply.code));
  WriteAnswer(request, response, reply.code, app.instance, reply.content_type, reply.body);
}

// The handler's reply, or the error reply for what it threw. `Request` is the request type
// the handler takes (Pistache's REST request, or the plain one).
template <typename Handler, typename Request>
Reply Run(App& app, const Handler& handler, const Request& request) {
  try {
    return handler(request);
  } catch (const BackendError& e) {
    return ErrorReply(Code::Service_Unavailable,
                      "a backend is unavailable, try again later: " + app.log->Scrub(e.what()));
  } catch (const std::exception& e) {
    app.log->Error("request " + request.resource() + " failed: " + e.what());
    return ErrorReply(Code::Internal_Server_Error, "the server failed to answer this request");
  }
}

}  // namespace

Reply JsonReply(Code code, std::string body) {
  Reply reply;
  reply.code = code;
  reply.body = std::move(body);
  return reply;
}

Reply ErrorReply(Code code, std::string_view message) {
  nlohmann::json body = {{"error", std::string(message)}};
  return JsonReply(code, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

RouteCounters* CountersForRoute(App& app, Pistache::Http::Method method, const std::string& path) {
  return app.metrics.ForRoute(std::string(Pistache::Http::methodString(method)) + " " + path);
}

void MountRoute(Pistache::Rest::Router& router, App& app, Pistache::Http::Method method,
                const std::string& path, Pistache::Rest::Route::Handler handler) {
  app.methods_by_path[path].push_back(method);
  router.addRoute(method, path, std::move(handler));
}

void AddRoute(Pistache::Rest::Router& router, App& app, Pistache::Http::Method method,
              const std::string& path, RouteHandler handler) {
  RouteCounters* counters = CountersForRoute(app, method, path);
  MountRoute(router, app, method, path,
             [&app, counters, handler = std::move(handler)](
                 const Pistache::Rest::Request& request, Pistache::Http::ResponseWriter response) {
               Send(app, counters, request, Run(app, handler, request), response);
               return Pistache::Rest::Route::Result::Ok;
             });
}

DirectRoute AddDirectRoute(Pistache::Rest::Router& router, App& app, Pistache::Http::Method method,
                           const std::string& path, PlainRouteHandler handler) {
  RouteCounters* counters = CountersForRoute(app, method, path);
  DirectRoute direct;
  direct.method = method;
  direct.path = path;
  direct.answer = [&app, counters, handler](const Pistache::Http::Request& request,
                                            Pistache::Http::ResponseWriter& response) {
    Send(app, counters, request, Run(app, handler, request), response);
  };
  MountRoute(router, app, method, path,
             [answer = direct.answer](const Pistache::Rest::Request& request,
                                      Pistache::Http::ResponseWriter response) {
               answer(request, response);
               return Pistache::Rest::Route::Result::Ok;
             });
  return direct;
}

void SetFallbackRoutes(Pistache::Rest::Router& router, App& app) {
  using Pistache::Http::Method;
  constexpr Method kEveryMethod[] = {Method::Options, Method::Get,   Method::Post,
                                     Method::Head,    Method::Put,   Method::Patch,
                                     Method::Delete,  Method::Trace, Method::Connect};
  RouteCounters* other_methods = app.metrics.ForRoute("other methods");
  for (const auto& [path, taken] : app.methods_by_path) {
    std::string names;
    for (Method method : taken) {
      names += (names.empty() ? "" : " or ") + std::string(Pistache::Http::methodString(method));
    }
    std::string message = "use " + names + " for " + path;
    for (Method method : kEveryMethod) {
      if (std::find(taken.begin(), taken.end(), method) != taken.end()) continue;
      router.addRoute(
          method, path,
          [&app, other_methods, taken, message](const Pistache::Rest::Request& request,
                                                Pistache::Http::ResponseWriter response) {
            response.headers().add<Pistache::Http::Header::Allow>(taken);
            Send(app, other_methods, request, ErrorReply(Code::Method_Not_Allowed, message),
                 response);
            return Pistache::Rest::Route::Result::Ok;
          });
    }
  }

  RouteCounters* unmatched = app.metrics.ForRoute("unmatched");
  router.addNotFoundHandler([&app, unmatched](const Pistache::Rest::Request& request,
                                              Pistache::Http::ResponseWriter response) {
    Send(app, unmatched, request, ErrorReply(Code::Not_Found, "there is no such route"), response);
    return Pistache::Rest::Route::Result::Ok;
  });
}

std::string ContentTypeOf(const Pistache::Rest::Request& request) {
  auto header = request.headers().tryGet<Pistache::Http::Header::ContentType>();
  return header ? header->mime().toString() : std::string();
}

std::optional<Reply> RequireJsonContentType(const Pistache::Rest::Request& request) {
  if (IsJsonContentType(ContentTypeOf(request))) return std::nullopt;
  return ErrorReply(Code::Bad_Request, "send this request with Content-Type: application/json");
}

std::optional<int64_t> ParseDecimal(std::string_view text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

}  // namespace pcfdemo::web
