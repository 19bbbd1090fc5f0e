// The forms of pcfdemo-web's pages: reading an application/x-www-form-urlencoded body and
// refusing a state change that does not come from one of this site's own pages.
//
// Cross-site request forgery is stopped three ways at once:
//  - a random form token, set by every page as a cookie (SameSite=Strict, HttpOnly) and
//    written into every form, must come back in both (a "double submit"): another site can
//    neither read the cookie nor make the browser send it along;
//  - an Origin header, when the browser sends one, must name this host (as in Host, or in
//    X-Forwarded-Host behind a proxy that rewrites Host), and a
//    Sec-Fetch-Site header must not say the request came from another site;
//  - only form-encoded bodies are accepted, the JSON API only application/json.
// The token lives in the browser, not in this process, so a form served by one instance
// can be posted to another behind a load balancer.
//
// Pure functions of their arguments; safe from any thread.
#pragma once

#include <pistache/cookie.h>
#include <pistache/router.h>

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "page_layout.h"

namespace pcfdemo::web {

inline constexpr char kFormTokenCookie[] = "pcfdemo_form_token";
inline constexpr char kFormTokenField[] = "form_token";

// The fields of a form-encoded body ("a=1&b=x+y%21"). '+' is a space, %XX a byte. The
// first of repeated fields wins. Malformed escapes are kept as written.
using FormFields = std::map<std::string, std::string>;
FormFields ParseFormBody(std::string_view body);

// A fresh token: 32 random bytes from the system's random device, as 64 hex digits.
std::string NewFormToken();

// True when `token` has the shape NewFormToken makes.
bool IsWellFormedFormToken(std::string_view token);

// The cookie that hands `token` to the browser: Path=/, HttpOnly, SameSite=Strict.
Pistache::Http::Cookie FormTokenCookie(const std::string& token);

// <input type="hidden" ...> carrying the context's token, for every form.
std::string FormTokenField(const PageContext& context);

// Why the form post in `context` with `fields` must be refused, or nullopt when it comes
// from this site: the body is form-encoded, the Origin (if any) names this host, the
// Sec-Fetch-Site (if any) is same-origin, and the token in the body equals the cookie's.
// The reason is a sentence for the person who sent the form.
std::optional<std::string> RefuseForeignForm(const PageContext& context, const FormFields& fields);

// Why `request` must be refused as coming from another site, or nullopt: an Origin header
// that is present must name this host (Host, or X-Forwarded-Host), and a Sec-Fetch-Site
// header that is present must say same-origin or none. A request with neither header (curl,
// scripts) passes. The reason is a sentence for the sender.
std::optional<std::string> RefuseCrossSiteRequest(const Pistache::Rest::Request& request);

// The value of a request header as sent, or "" when absent.
std::string HeaderText(const Pistache::Rest::Request& request, const std::string& name);

}  // namespace pcfdemo::web
