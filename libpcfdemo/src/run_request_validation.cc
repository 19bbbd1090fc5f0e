#include "pcfdemo/run_request_validation.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <limits>
#include <nlohmann/json.hpp>

namespace pcfdemo {
namespace {

using nlohmann::json;

constexpr size_t kMaxUrlLength = 2048;
constexpr size_t kExcerptLength = 60;

std::string Lower(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower;
}

// A short, printable excerpt of user input for an error message.
std::string Excerpt(std::string_view text) {
  std::string excerpt;
  for (char c : text.substr(0, kExcerptLength)) {
    unsigned char u = static_cast<unsigned char>(c);
    excerpt += (u < 0x20 || u == 0x7f) ? '?' : c;
  }
  if (text.size() > kExcerptLength) excerpt += "...";
  return excerpt;
}

bool Fail(std::string* reason, std::string text) {
  if (reason) *reason = std::move(text);
  return false;
}

bool IsHostChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
}

// Parses a port of 1..65535 written in decimal digits.
std::optional<int> ParsePort(std::string_view text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  int port = 0;
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    port = port * 10 + (c - '0');
  }
  if (port < 1 || port > 65535) return std::nullopt;
  return port;
}

// Splits an authority "host", "host:port", "[v6]" or "[v6]:port" into a lower-case host
// and a port (0 when absent). Returns false with a reason when malformed.
bool SplitAuthority(std::string_view authority, std::string* host, int* port, std::string* reason) {
  *port = 0;
  std::string_view port_text;
  bool has_port = false;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return Fail(reason, "the IPv6 address has no ']'");
    std::string_view address = authority.substr(1, close - 1);
    if (address.empty()) return Fail(reason, "the host is empty");
    for (char c : address) {
      if (!std::isxdigit(static_cast<unsigned char>(c)) && c != ':' && c != '.') {
        return Fail(reason, "the IPv6 address is malformed");
      }
    }
    *host = Lower(address);
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return Fail(reason, "unexpected text after the IPv6 address");
      has_port = true;
      port_text = rest.substr(1);
    }
  } else {
    size_t colon = authority.find(':');
    std::string_view name = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      has_port = true;
      port_text = authority.substr(colon + 1);
    }
    if (name.empty()) return Fail(reason, "the destination has no host");
    if (!std::all_of(name.begin(), name.end(), IsHostChar)) {
      return Fail(reason, "the host \"" + Excerpt(name) +
                              "\" contains characters a host "
                              "name cannot have");
    }
    *host = Lower(name);
  }
  if (has_port) {
    std::optional<int> parsed = ParsePort(port_text);
    if (!parsed) return Fail(reason, "the port must be a number from 1 to 65535");
    *port = *parsed;
  }
  return true;
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string joined;
  for (const std::string& name : names) {
    if (!joined.empty()) joined += ", ";
    joined += name;
  }
  return joined;
}

std::string StrategyList() {
  std::vector<std::string> names;
  for (Strategy strategy : kAllStrategies) names.emplace_back(StrategyName(strategy));
  return JoinNames(names);
}

// Reads an optional integer field in [low, high]. Returns false with a message when the
// field is present but not such an integer.
bool ReadInteger(const json& body, const char* field, int64_t low, int64_t high,
                 std::optional<int64_t>* value, std::string* error) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return true;
  std::string range = std::to_string(low) + " to " + std::to_string(high);
  if (!it->is_number_integer()) {
    return Fail(error, "\"" + std::string(field) + "\" must be a whole number from " + range +
                           "; got " + Excerpt(it->dump()));
  }
  int64_t number;
  if (it->is_number_unsigned()) {
    uint64_t unsigned_number = it->get<uint64_t>();
    if (unsigned_number > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return Fail(error, "\"" + std::string(field) + "\" must be from " + range + "; got " +
                             Excerpt(it->dump()));
    }
    number = static_cast<int64_t>(unsigned_number);
  } else {
    number = it->get<int64_t>();
  }
  if (number < low || number > high) {
    return Fail(error, "\"" + std::string(field) + "\" must be from " + range + "; got " +
                           std::to_string(number));
  }
  *value = number;
  return true;
}

}  // namespace

std::optional<HttpUrl> ParseHttpUrl(std::string_view text, std::string* reason) {
  if (text.empty()) {
    Fail(reason, "the destination is empty");
    return std::nullopt;
  }
  if (text.size() > kMaxUrlLength) {
    Fail(reason, "the destination is longer than " + std::to_string(kMaxUrlLength) + " characters");
    return std::nullopt;
  }
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == '\\') {
      Fail(reason, "the destination contains spaces, control characters or backslashes");
      return std::nullopt;
    }
  }

  size_t colon = text.find(':');
  std::string scheme = Lower(text.substr(0, colon == std::string_view::npos ? 0 : colon));
  if (colon == std::string_view::npos || scheme.empty()) {
    Fail(reason, "the destination \"" + Excerpt(text) +
                     "\" is not an absolute URL; write it like http://host:port/receiver");
    return std::nullopt;
  }
  if (scheme != "http" && scheme != "https") {
    Fail(reason, "only http and https destinations are allowed, not \"" + Excerpt(scheme) + ":\"");
    return std::nullopt;
  }
  std::string_view rest = text.substr(colon + 1);
  if (rest.substr(0, 2) != "//") {
    Fail(reason, "the destination \"" + Excerpt(text) +
                     "\" is not an absolute URL; write it like http://host:port/receiver");
    return std::nullopt;
  }
  rest.remove_prefix(2);

  size_t authority_end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, authority_end);
  std::string_view target =
      authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);
  if (authority.find('@') != std::string_view::npos) {
    Fail(reason, "the destination must not contain a user name or password");
    return std::nullopt;
  }
  if (target.find('#') != std::string_view::npos) {
    Fail(reason, "the destination must not contain a fragment (#...)");
    return std::nullopt;
  }

  HttpUrl url;
  url.scheme = scheme;
  if (!SplitAuthority(authority, &url.host, &url.port, reason)) return std::nullopt;
  if (url.port == 0) url.port = scheme == "https" ? 443 : 80;
  url.target = target.empty() ? "/" : std::string(target);
  if (url.target.front() == '?') url.target.insert(url.target.begin(), '/');
  return url;
}

DestinationAllowList::DestinationAllowList(const std::vector<std::string>& entries)
    : entries_(entries) {
  for (const std::string& raw : entries) {
    std::string_view entry = raw;
    if (entry == "*") {
      any_ = true;
      continue;
    }
    // Be lenient with entries written as URLs: keep only the authority.
    size_t scheme_end = entry.find("://");
    if (scheme_end != std::string_view::npos) entry.remove_prefix(scheme_end + 3);
    entry = entry.substr(0, entry.find_first_of("/?#"));

    Entry parsed;
    size_t colons = std::count(entry.begin(), entry.end(), ':');
    if (colons > 1 && entry.front() != '[') {
      parsed.host = Lower(entry);  // a bare IPv6 address: any port
    } else if (!SplitAuthority(entry, &parsed.host, &parsed.port, nullptr)) {
      continue;  // an entry that names no host allows nothing
    }
    parsed_.push_back(std::move(parsed));
  }
}

DestinationAllowList DestinationAllowList::ForConfig(const Config& config) {
  std::string port = std::to_string(config.port);
  std::vector<std::string> entries = {"127.0.0.1:" + port, "localhost:" + port, "[::1]:" + port};
  char host_name[256] = {};
  if (gethostname(host_name, sizeof(host_name) - 1) == 0 && host_name[0] != '\0') {
    entries.push_back(std::string(host_name) + ":" + port);
  }
  if (!config.default_destination.empty()) {
    std::optional<HttpUrl> url = ParseHttpUrl(config.default_destination);
    if (url) {
      bool v6 = url->host.find(':') != std::string::npos;
      entries.push_back((v6 ? "[" + url->host + "]" : url->host) + ":" + std::to_string(url->port));
    }
  }
  for (const std::string& uri : config.application_uris) entries.push_back(uri);
  for (const std::string& entry : config.allowed_destinations) entries.push_back(entry);
  return DestinationAllowList(entries);
}

bool DestinationAllowList::Allows(const HttpUrl& url) const {
  if (any_) return true;
  return std::any_of(parsed_.begin(), parsed_.end(), [&](const Entry& entry) {
    return entry.host == url.host && (entry.port == 0 || entry.port == url.port);
  });
}

RunRequestPolicy RunRequestPolicyForConfig(const Config& config) {
  RunRequestPolicy policy;
  policy.max_calls = config.max_calls;
  policy.default_concurrency = config.default_concurrency;
  policy.max_concurrency = config.max_concurrency;
  policy.default_destination = config.default_destination.empty()
                                   ? "http://127.0.0.1:" + std::to_string(config.port) + "/receiver"
                                   : config.default_destination;
  policy.allowed = DestinationAllowList::ForConfig(config);
  return policy;
}

bool IsJsonContentType(std::string_view content_type) {
  std::string_view media = content_type.substr(0, content_type.find(';'));
  while (!media.empty() && (media.back() == ' ' || media.back() == '\t')) media.remove_suffix(1);
  while (!media.empty() && (media.front() == ' ' || media.front() == '\t')) {
    media.remove_prefix(1);
  }
  return Lower(media) == "application/json";
}

RunRequestCheck CheckRunRequest(std::string_view body, const RunRequestPolicy& policy) {
  RunRequestCheck check;
  const std::string example = "send a JSON object such as {\"calls\": 100}";
  bool blank = std::all_of(body.begin(), body.end(),
                           [](char c) { return std::isspace(static_cast<unsigned char>(c)); });
  if (blank) {
    check.error = "the request body is empty; " + example;
    return check;
  }

  json parsed;
  try {
    parsed = json::parse(body.begin(), body.end());
  } catch (const json::parse_error& e) {
    check.error = "the request body is not valid JSON (the error is near byte " +
                  std::to_string(e.byte) + "); " + example;
    return check;
  } catch (const json::exception&) {
    // For example a number too large for a double (1e400).
    check.error =
        "the request body holds a value that cannot be read (a number out of range?); " + example;
    return check;
  }
  if (!parsed.is_object()) {
    check.error = "the request body must be a JSON object; " + example;
    return check;
  }

  static const std::vector<std::string> kFields = {"calls", "strategy", "concurrency",
                                                   "destination"};
  for (const auto& item : parsed.items()) {
    if (std::find(kFields.begin(), kFields.end(), item.key()) == kFields.end()) {
      check.error =
          "unknown field \"" + Excerpt(item.key()) + "\"; the fields are " + JoinNames(kFields);
      return check;
    }
  }

  RunRequest request;
  std::optional<int64_t> calls;
  if (!ReadInteger(parsed, "calls", 1, policy.max_calls, &calls, &check.error)) return check;
  if (!calls) {
    check.error = "\"calls\" is required: the number of calls to make, from 1 to " +
                  std::to_string(policy.max_calls);
    return check;
  }
  request.calls = *calls;

  request.strategy = policy.default_strategy;
  auto strategy = parsed.find("strategy");
  if (strategy != parsed.end() && !strategy->is_null()) {
    std::optional<Strategy> known;
    if (strategy->is_string()) known = ParseStrategy(strategy->get<std::string>());
    if (!known) {
      check.error =
          "unknown strategy " + Excerpt(strategy->dump()) + "; use one of " + StrategyList();
      return check;
    }
    request.strategy = *known;
  }

  std::optional<int64_t> concurrency;
  if (!ReadInteger(parsed, "concurrency", 1, policy.max_concurrency, &concurrency, &check.error)) {
    return check;
  }
  request.concurrency =
      concurrency ? static_cast<int>(*concurrency)
                  : std::clamp(policy.default_concurrency, 1, std::max(1, policy.max_concurrency));

  request.destination = policy.default_destination;
  auto destination = parsed.find("destination");
  if (destination != parsed.end() && !destination->is_null()) {
    if (!destination->is_string()) {
      check.error =
          "\"destination\" must be a URL in a string, like "
          "\"http://127.0.0.1:8080/receiver\"";
      return check;
    }
    request.destination = destination->get<std::string>();
  }
  std::string reason;
  std::optional<HttpUrl> url = ParseHttpUrl(request.destination, &reason);
  if (!url) {
    check.error = reason;
    return check;
  }
  if (url->target.find('?') != std::string::npos) {
    check.error =
        "the destination must not carry a query: pcfdemo adds timestamp and strategy itself";
    return check;
  }
  if (!policy.allowed.Allows(*url)) {
    std::string shown =
        url->host.find(':') != std::string::npos ? "[" + url->host + "]" : url->host;
    check.error = "the destination " + Excerpt(shown) + ":" + std::to_string(url->port) +
                  " is not an allowed destination; allowed are " +
                  JoinNames(policy.allowed.entries()) + " (add it with --allowed-destinations)";
    return check;
  }

  check.request = std::move(request);
  return check;
}

}  // namespace pcfdemo
