#include "page_forms.h"

#include <algorithm>
#include <cctype>
#include <random>
#include <sstream>

#include "pcfdemo/html.h"

namespace pcfdemo::web {
namespace {

constexpr size_t kTokenBytes = 32;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string DecodeFormText(std::string_view text) {
  std::string decoded;
  decoded.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+') {
      decoded += ' ';
    } else if (c == '%' && i + 2 < text.size() && HexValue(text[i + 1]) >= 0 &&
               HexValue(text[i + 2]) >= 0) {
      decoded += static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2]));
      i += 2;
    } else {
      decoded += c;
    }
  }
  return decoded;
}

// Compares without stopping at the first difference, so the time taken says nothing about
// how much of a guessed token was right.
bool SameToken(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char difference = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    difference |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return difference == 0;
}

std::string Lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// The host and port the browser addressed, as in the Host header ("example.com:8080").
std::string RequestHost(const Pistache::Rest::Request& request) {
  return Lowercase(HeaderText(request, "Host"));
}

// "http://example.com:8080" -> "example.com:8080"; "" when `origin` is not http(s).
std::string OriginHost(const std::string& origin) {
  std::string lower = Lowercase(origin);
  for (std::string prefix : {"http://", "https://"}) {
    if (lower.compare(0, prefix.size(), prefix) == 0) {
      std::string host = lower.substr(prefix.size());
      return host.find('/') == std::string::npos ? host : "";
    }
  }
  return "";
}

// The Host header leaves out a default port that an Origin may name, and vice versa.
std::string WithoutDefaultPort(std::string host) {
  for (const char* port : {":80", ":443"}) {
    std::string suffix = port;
    if (host.size() > suffix.size() &&
        host.compare(host.size() - suffix.size(), suffix.size(), suffix) == 0) {
      host.resize(host.size() - suffix.size());
    }
  }
  return host;
}

}  // namespace

FormFields ParseFormBody(std::string_view body) {
  FormFields fields;
  size_t start = 0;
  while (start <= body.size()) {
    size_t end = body.find('&', start);
    if (end == std::string_view::npos) end = body.size();
    std::string_view pair = body.substr(start, end - start);
    if (!pair.empty()) {
      size_t equals = pair.find('=');
      std::string name = DecodeFormText(pair.substr(0, equals));
      std::string value =
          equals == std::string_view::npos ? "" : DecodeFormText(pair.substr(equals + 1));
      fields.emplace(std::move(name), std::move(value));
    }
    start = end + 1;
  }
  return fields;
}

std::string NewFormToken() {
  static thread_local std::random_device device;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string token;
  token.reserve(kTokenBytes * 2);
  for (size_t i = 0; i < kTokenBytes / 4; ++i) {
    uint32_t word = device();
    for (int byte = 0; byte < 4; ++byte) {
      token += kHex[(word >> 4) & 0xf];
      token += kHex[word & 0xf];
      word >>= 8;
    }
  }
  return token;
}

bool IsWellFormedFormToken(std::string_view token) {
  return token.size() == kTokenBytes * 2 && std::all_of(token.begin(), token.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

Pistache::Http::Cookie FormTokenCookie(const std::string& token) {
  Pistache::Http::Cookie cookie(kFormTokenCookie, token);
  cookie.path = "/";
  cookie.httpOnly = true;
  cookie.ext["SameSite"] = "Strict";
  return cookie;
}

std::string FormTokenField(const PageContext& context) {
  return std::string("<input type=\"hidden\" name=\"") + kFormTokenField + "\" value=\"" +
         EscapeHtml(context.form_token) + "\">";
}

std::optional<std::string> RefuseCrossSiteRequest(const Pistache::Rest::Request& request) {
  std::string fetch_site = Lowercase(HeaderText(request, "Sec-Fetch-Site"));
  std::string origin = HeaderText(request, "Origin");
  // Behind a proxy that rewrites Host, the name the browser used arrives in X-Forwarded-Host.
  // A cross-site form can set neither header, so accepting either keeps the check sound.
  std::string origin_host = WithoutDefaultPort(OriginHost(origin));
  std::string forwarded = Lowercase(HeaderText(request, "X-Forwarded-Host"));
  forwarded = WithoutDefaultPort(forwarded.substr(0, forwarded.find(',')));
  bool foreign_origin = !origin.empty() &&
                        origin_host != WithoutDefaultPort(RequestHost(request)) &&
                        (forwarded.empty() || origin_host != forwarded);
  if (foreign_origin ||
      (!fetch_site.empty() && fetch_site != "same-origin" && fetch_site != "none")) {
    return std::string(
        "the request was sent from another site (its Origin or Sec-Fetch-Site header says so); "
        "only this site's pages and clients without an Origin may change anything here");
  }
  return std::nullopt;
}

std::optional<std::string> RefuseForeignForm(const PageContext& context, const FormFields& fields) {
  const Pistache::Rest::Request& request = context.request;
  std::string content_type = Lowercase(HeaderText(request, "Content-Type"));
  if (content_type.rfind("application/x-www-form-urlencoded", 0) != 0) {
    return std::string(
        "this address takes the page's own form (application/x-www-form-urlencoded); "
        "programs use the JSON API under /api");
  }

  if (std::optional<std::string> refusal = RefuseCrossSiteRequest(request)) {
    return std::string(
        "the form was sent from another site; only this site's pages may "
        "change anything here");
  }

  auto field = fields.find(kFormTokenField);
  if (context.cookie_token.empty() || field == fields.end() ||
      !SameToken(field->second, context.cookie_token)) {
    return std::string(
        "the form's security token is missing or stale; reload the page and "
        "send the form again");
  }
  return std::nullopt;
}

std::string HeaderText(const Pistache::Rest::Request& request, const std::string& name) {
  const Pistache::Http::Header::Collection& headers = request.headers();
  if (std::optional<Pistache::Http::Header::Raw> raw = headers.tryGetRaw(name)) {
    return raw->value();
  }
  if (std::shared_ptr<const Pistache::Http::Header::Header> typed = headers.tryGet(name)) {
    std::ostringstream text;
    typed->write(text);
    return text.str();
  }
  return "";
}

}  // namespace pcfdemo::web
