// Config: flags, environment variables, Kubernetes service bindings and Cloud Foundry's
// VCAP_SERVICES / VCAP_APPLICATION, applied from the weakest to the strongest source.

#include "pcfdemo/config.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <sstream>

#include "pcfdemo/database_url.h"

extern char** environ;

namespace pcfdemo {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int kDefaultMemcachedPort = 11211;
constexpr int kDefaultMysqlPort = 3306;

// --- small parsing pieces ---------------------------------------------------------------

// Why the listener (Pistache::Address) cannot take `address`, or "" when it can: an IPv4
// address in dotted-quad form, "localhost", or an IPv6 address in brackets ("[::1]").
// Limitation: other host names are refused, though a resolver might know them.
std::string BindAddressProblem(const std::string& address) {
  unsigned char bytes[16];
  if (address == "localhost" || inet_pton(AF_INET, address.c_str(), bytes) == 1) return "";
  if (address.size() > 2 && address.front() == '[' && address.back() == ']') {
    std::string inner = address.substr(1, address.size() - 2);
    if (inet_pton(AF_INET6, inner.c_str(), bytes) == 1) return "";
    return "\"" + address + "\" is not an IPv6 address";
  }
  if (inet_pton(AF_INET6, address.c_str(), bytes) == 1) {
    return "write an IPv6 address in brackets, like [" + address + "]";
  }
  return "\"" + address +
         "\" is not an address to listen on; give an IPv4 address like 0.0.0.0 or 127.0.0.1, "
         "localhost, or an IPv6 address in brackets like [::1]";
}

std::string Trim(const std::string& s) {
  size_t begin = 0;
  size_t end = s.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(s[begin]))) ++begin;
  while (end > begin && std::isspace(static_cast<unsigned char>(s[end - 1]))) --end;
  return s.substr(begin, end - begin);
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Splits on commas (and, for lists pasted from shells or platform UIs, on whitespace);
// drops empty entries.
std::vector<std::string> SplitList(const std::string& s) {
  std::vector<std::string> out;
  std::string item;
  for (char c : s) {
    if (c == ',' || std::isspace(static_cast<unsigned char>(c))) {
      if (!item.empty()) out.push_back(item);
      item.clear();
    } else {
      item += c;
    }
  }
  if (!item.empty()) out.push_back(item);
  return out;
}

// Strict decimal integer: optional leading '-', digits only, no spaces or trailing garbage.
std::optional<int64_t> ParseInt(const std::string& s) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  size_t i = (s[0] == '-') ? 1 : 0;
  if (i == s.size()) return std::nullopt;
  for (size_t j = i; j < s.size(); ++j) {
    if (!std::isdigit(static_cast<unsigned char>(s[j]))) return std::nullopt;
  }
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (errno == ERANGE || end != s.c_str() + s.size()) return std::nullopt;
  return static_cast<int64_t>(v);
}

// `value` quoted for an error message; long values are cut so a message stays one line.
std::string Quoted(const std::string& value) {
  constexpr size_t kMax = 80;
  if (value.size() <= kMax) return "'" + value + "'";
  return "'" + value.substr(0, kMax) + "...'";
}

int64_t ParseIntInRange(const std::string& setting, const std::string& value, int64_t min,
                        int64_t max) {
  std::optional<int64_t> v = ParseInt(value);
  if (!v || *v < min || *v > max) {
    throw ConfigError(setting + ": expected a number from " + std::to_string(min) + " to " +
                      std::to_string(max) + ", got " + Quoted(value));
  }
  return *v;
}

bool ParseSwitch(const std::string& setting, const std::string& value) {
  std::string v = Lower(Trim(value));
  if (v == "on" || v == "true" || v == "1" || v == "yes") return true;
  if (v == "off" || v == "false" || v == "0" || v == "no") return false;
  throw ConfigError(setting + ": expected on or off, got " + Quoted(value));
}

// Checks one "host", "host:port" or "[v6]:port" entry; returns it normalised to host:port.
std::string ParseServer(const std::string& setting, const std::string& entry) {
  std::string host = entry;
  std::string port;
  bool has_port = false;
  if (!entry.empty() && entry[0] == '[') {
    size_t close = entry.find(']');
    if (close == std::string::npos) {
      throw ConfigError(setting + ": expected host:port, got " + Quoted(entry));
    }
    host = entry.substr(0, close + 1);
    if (close + 1 < entry.size()) {
      if (entry[close + 1] != ':') {
        throw ConfigError(setting + ": expected host:port, got " + Quoted(entry));
      }
      port = entry.substr(close + 2);
      has_port = true;
    }
  } else {
    size_t colon = entry.rfind(':');
    if (colon != std::string::npos) {
      host = entry.substr(0, colon);
      port = entry.substr(colon + 1);
      has_port = true;
      if (host.find(':') != std::string::npos) {
        throw ConfigError(setting + ": write IPv6 addresses as [address]:port, got " +
                          Quoted(entry));
      }
    }
  }
  if (host.empty() || host == "[]") {
    throw ConfigError(setting + ": expected host:port, got " + Quoted(entry));
  }
  int port_number = kDefaultMemcachedPort;
  if (has_port) {
    std::optional<int64_t> p = ParseInt(port);
    if (!p || *p < 1 || *p > 65535) {
      throw ConfigError(setting + ": port must be a number from 1 to 65535 in " + Quoted(entry));
    }
    port_number = static_cast<int>(*p);
  }
  return host + ":" + std::to_string(port_number);
}

std::vector<std::string> ParseServerList(const std::string& setting, const std::string& value) {
  std::vector<std::string> servers;
  for (const std::string& entry : SplitList(value)) servers.push_back(ParseServer(setting, entry));
  if (servers.empty()) {
    throw ConfigError(setting + ": expected a comma-separated list of host:port, got nothing");
  }
  return servers;
}

void CheckDatabaseUrl(const std::string& setting, const std::string& url) {
  try {
    ParseDatabaseUrl(url);
  } catch (const std::invalid_argument& e) {
    // The parser's reason never holds the password; the URL itself is not repeated.
    std::string reason = e.what();
    if (reason.find("expected") == std::string::npos) {
      reason += " (expected mysql://user:password@host:port/database, sqlite:///path or memory:)";
    }
    throw ConfigError(setting + ": " + reason);
  }
}

std::string CheckDestination(const std::string& setting, const std::string& url) {
  std::string lower = Lower(url);
  size_t host_start = 0;
  if (lower.rfind("http://", 0) == 0) {
    host_start = 7;
  } else if (lower.rfind("https://", 0) == 0) {
    host_start = 8;
  } else {
    throw ConfigError(setting + ": expected an http:// or https:// URL, got " + Quoted(url));
  }
  if (host_start >= url.size() || url[host_start] == '/' || url[host_start] == ':' ||
      url.find_first_of(" \t\r\n") != std::string::npos) {
    throw ConfigError(setting + ": expected an absolute URL with a host, got " + Quoted(url));
  }
  return url;
}

// Percent-encodes everything outside RFC 3986's unreserved characters, for the user and
// password parts of a database URL built from separate credential fields.
std::string PercentEncode(const std::string& s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

std::string GenerateInstanceGuid() {
  std::random_device device;
  std::mt19937_64 generator((static_cast<uint64_t>(device()) << 32) ^ device());
  static const char kHex[] = "0123456789abcdef";
  std::string guid;
  for (int i = 0; i < 32; ++i) guid += kHex[generator() & 0xF];
  return guid;
}

// --- settings from flags and environment variables -------------------------------------

// What a source of settings (the environment, the command line) found. Each field is set
// only when that source named it.
struct Layer {
  std::optional<std::string> bind_address;
  std::optional<int> port;
  std::optional<int> instance_index;
  std::optional<std::string> data_dir;
  std::optional<std::vector<std::string>> memcached_servers;
  std::optional<std::string> memcached_username;
  std::optional<std::string> memcached_password;
  std::optional<int> memcached_timeout_ms;
  std::optional<std::string> database_url;
  std::optional<std::vector<std::string>> allowed_destinations;
  std::optional<std::string> default_destination;
  std::optional<int64_t> max_calls;
  std::optional<int> default_concurrency;
  std::optional<int> max_concurrency;
  std::optional<int64_t> poll_interval_ms;
  std::optional<int64_t> call_timeout_ms;
  std::optional<int64_t> claim_lease_s;
  std::optional<std::string> log_level;
  std::optional<std::string> log_format;
  std::optional<bool> run_workers_in_process;
};

struct Setting {
  const char* flag;              // without the leading "--"
  std::vector<const char*> env;  // environment variables, first found wins
  const char* value_name;        // nullptr: a switch that takes no value on the command line
  const char* help;
  // Parses `value` into `layer`; `name` is the flag or variable, for messages.
  std::function<void(Layer& layer, const std::string& name, const std::string& value)> apply;
};

const std::vector<Setting>& Settings() {
  static const std::vector<Setting> settings = {
      {"bind",
       {"PCFDEMO_BIND"},
       "ADDRESS",
       "address to listen on (default 0.0.0.0)",
       [](Layer& l, const std::string& name, const std::string& v) {
         std::string t = Trim(v);
         if (t.empty()) throw ConfigError(name + ": expected an address, got nothing");
         if (std::string problem = BindAddressProblem(t); !problem.empty()) {
           throw ConfigError(name + ": " + problem);
         }
         l.bind_address = t;
       }},
      {"port",
       {"PORT"},
       "PORT",
       "port to listen on (default 8080)",
       [](Layer& l, const std::string& name, const std::string& v) {
         l.port = static_cast<int>(ParseIntInRange(name, v, 1, 65535));
       }},
      {"instance-index",
       {"CF_INSTANCE_INDEX", "INSTANCE_INDEX"},
       "N",
       "this instance's index among its peers (default 0)",
       [](Layer& l, const std::string& name, const std::string& v) {
         l.instance_index = static_cast<int>(ParseIntInRange(name, v, 0, 1000000));
       }},
      {"data-dir",
       {"PCFDEMO_DATA_DIR"},
       "DIR",
       "where the standalone SQLite file lives (default pcfdemo-data)",
       [](Layer& l, const std::string& name, const std::string& v) {
         if (v.empty()) throw ConfigError(name + ": expected a directory, got nothing");
         l.data_dir = v;
       }},
      {"memcached",
       {"PCFDEMO_MEMCACHED"},
       "HOST:PORT,...",
       "memcached servers (default none: in-memory store)",
       [](Layer& l, const std::string& name, const std::string& v) {
         l.memcached_servers = ParseServerList(name, v);
       }},
      {"memcached-username",
       {"PCFDEMO_MEMCACHED_USERNAME"},
       "USER",
       "memcached SASL user",
       [](Layer& l, const std::string&, const std::string& v) { l.memcached_username = v; }},
      {"memcached-password",
       {"PCFDEMO_MEMCACHED_PASSWORD"},
       "PASSWORD",
       "memcached SASL password",
       [](Layer& l, const std::string&, const std::string& v) { l.memcached_password = v; }},
      {"memcached-timeout-ms",
       {"PCFDEMO_MEMCACHED_TIMEOUT_MS"},
       "MS",
       "memcached connect and poll timeout (default 1000)",
       [](Layer& l, const std::string& name, const std::string& v) {
         l.memcached_timeout_ms = static_cast<int>(ParseIntInRange(name, v, 1, 600000));
       }},
      {"database",
       {"PCFDEMO_DATABASE_URL"},
       "URL",
       "mysql://USER:PASS@HOST:PORT/DB, sqlite:///PATH or memory:\n"
       "                                    (default sqlite:///<data-dir>/runs.db)",
       [](Layer& l, const std::string& name, const std::string& v) {
         std::string t = Trim(v);
         CheckDatabaseUrl(name, t);
         l.database_url = t;
       }},
      {"allowed-destinations",
       {"PCFDEMO_ALLOWED_DESTINATIONS"},
       "HOST[:PORT],...",
       "hosts calls may go to besides this app; * allows any",
       [](Layer& l, const std::string&, const std::string& v) {
         l.allowed_destinations = SplitList(v);
       }},
      {"destination",
       {"PCFDEMO_DESTINATION"},
       "URL",
       "default destination of calls (default this app's /receiver)",
       [](Layer& l, const std::string& name, const std::string& v) {
         l.default_destination = CheckDestination(name, Trim(v));
       }},
      {"max-calls",
       {"PCFDEMO_MAX_CALLS"},
       "N",
       "most calls one run may ask for (default 500)",
       [](Layer& l, const std::string& name, const std::string& v) {
         l.max_calls = ParseIntInRange(name, v, 1, 100000000);
       }},
      {"concurrency",
       {"PCFDEMO_CONCURRENCY"},
       "K",
       "concurrent callers of a run that names none (default 8)",
       [](Layer& l, const std::string& name, const std::string& v) {
         l.default_concurrency = static_cast<int>(ParseIntInRange(name, v, 1, 10000));
       }},
      {"max-concurrency",
       {"PCFDEMO_MAX_CONCURRENCY"},
       "K",
       "most concurrent callers a run may ask for (default 64)",
       [](Layer& l, const std::string& name, const std::string& v) {
         l.max_concurrency = static_cast<int>(ParseIntInRange(name, v, 1, 10000));
       }},
      {"poll-interval-ms",
       {"PCFDEMO_POLL_INTERVAL_MS"},
       "MS",
       "how often workers poll the trigger store (default 1000)",
       [](Layer& l, const std::string& name, const std::string& v) {
         l.poll_interval_ms = ParseIntInRange(name, v, 10, 3600000);
       }},
      {"call-timeout-ms",
       {"PCFDEMO_CALL_TIMEOUT_MS"},
       "MS",
       "timeout of one call of a run (default 10000)",
       [](Layer& l, const std::string& name, const std::string& v) {
         l.call_timeout_ms = ParseIntInRange(name, v, 1, 600000);
       }},
      {"lease-seconds",
       {"PCFDEMO_LEASE_SECONDS"},
       "S",
       "request worker's claim lease, 3..3600 (default 15)",
       [](Layer& l, const std::string& name, const std::string& v) {
         l.claim_lease_s = ParseIntInRange(name, v, 3, 3600);
       }},
      {"log-level",
       {"PCFDEMO_LOG_LEVEL"},
       "LEVEL",
       "debug, info, warn or error (default info)",
       [](Layer& l, const std::string& name, const std::string& v) {
         std::string level = Lower(Trim(v));
         if (level == "warning") level = "warn";
         if (level != "debug" && level != "info" && level != "warn" && level != "error") {
           throw ConfigError(name + ": expected debug, info, warn or error, got " + Quoted(v));
         }
         l.log_level = level;
       }},
      {"log-format",
       {"PCFDEMO_LOG_FORMAT"},
       "FORMAT",
       "text or json (default text)",
       [](Layer& l, const std::string& name, const std::string& v) {
         std::string format = Lower(Trim(v));
         if (format != "text" && format != "json") {
           throw ConfigError(name + ": expected text or json, got " + Quoted(v));
         }
         l.log_format = format;
       }},
      {"no-workers",
       {},
       nullptr,
       "no workers in this process; same as --workers=off",
       [](Layer& l, const std::string&, const std::string&) { l.run_workers_in_process = false; }},
      {"workers",
       {"PCFDEMO_WORKERS"},
       "on|off",
       "run the workers in this process (default on)",
       [](Layer& l, const std::string& name, const std::string& v) {
         l.run_workers_in_process = ParseSwitch(name, v);
       }},
  };
  return settings;
}

const Setting* FindSetting(const std::string& flag) {
  for (const Setting& s : Settings()) {
    if (flag == s.flag) return &s;
  }
  return nullptr;
}

Layer LayerFromEnvironment(const std::map<std::string, std::string>& env) {
  Layer layer;
  for (const Setting& s : Settings()) {
    for (const char* var : s.env) {
      auto it = env.find(var);
      if (it == env.end()) continue;
      // An empty variable counts as unset, as shells and manifests often leave them so.
      if (it->second.empty()) continue;
      s.apply(layer, var, it->second);
      break;
    }
  }
  return layer;
}

Layer LayerFromFlags(const std::vector<std::string>& args) {
  Layer layer;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.rfind("--", 0) != 0 || arg.size() == 2) {
      // Not echoed: a mistyped flag may leave a secret where a flag should be.
      throw ConfigError("unexpected argument #" + std::to_string(i + 1) +
                        " (flags start with --; see --help)");
    }
    std::string name = arg.substr(2);
    std::optional<std::string> value;
    size_t eq = name.find('=');
    if (eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    const Setting* setting = FindSetting(name);
    if (setting == nullptr) throw ConfigError("unknown flag --" + name + " (see --help)");
    std::string flag = "--" + name;
    if (setting->value_name == nullptr) {
      if (value) throw ConfigError(flag + ": takes no value");
      setting->apply(layer, flag, "");
      continue;
    }
    if (!value) {
      if (i + 1 >= args.size()) throw ConfigError(flag + ": expected a value");
      value = args[++i];
    }
    setting->apply(layer, flag, *value);
  }
  return layer;
}

// --- settings from platform service bindings --------------------------------------------

// A memcached or MySQL service found in VCAP_SERVICES or a service-binding directory.
struct ServiceFindings {
  std::optional<MemcachedOptions> memcached;  // servers, username, password
  std::optional<std::string> database_url;
};

std::string JsonString(const json& j) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_number_integer()) return std::to_string(j.get<int64_t>());
  return "";
}

std::string Field(const json& credentials, std::initializer_list<const char*> names) {
  for (const char* name : names) {
    auto it = credentials.find(name);
    if (it != credentials.end()) {
      std::string v = JsonString(*it);
      if (!v.empty()) return v;
    }
  }
  return "";
}

// Builds a mysql:// URL from separate fields. `where` names the service for messages.
std::string MysqlUrl(const std::string& where, const std::string& host, const std::string& port,
                     const std::string& database, const std::string& username,
                     const std::string& password) {
  if (host.empty() || database.empty()) {
    throw ConfigError(where + ": a MySQL service needs uri, or hostname and name");
  }
  int port_number = kDefaultMysqlPort;
  if (!port.empty()) {
    std::optional<int64_t> p = ParseInt(Trim(port));
    if (!p || *p < 1 || *p > 65535) {
      throw ConfigError(where + ": port must be a number from 1 to 65535");
    }
    port_number = static_cast<int>(*p);
  }
  std::string url = "mysql://";
  if (!username.empty()) {
    url += PercentEncode(username);
    if (!password.empty()) url += ":" + PercentEncode(password);
    url += "@";
  }
  return url + host + ":" + std::to_string(port_number) + "/" + database;
}

// A mysql URI as brokers hand it out ("mysql://u:p@h:3306/db?reconnect=true"); the repository
// ignores query options it does not know. Some brokers write the scheme as mysql2://.
std::string MysqlUrlFromUri(const std::string& where, const std::string& uri) {
  std::string url = Trim(uri);
  if (url.rfind("mysql2://", 0) == 0) url = "mysql://" + url.substr(9);
  CheckDatabaseUrl(where, url);
  return url;
}

MemcachedOptions MemcachedFromFields(const std::string& where, const std::string& servers,
                                     const std::string& host, const std::string& port,
                                     const std::string& username, const std::string& password) {
  MemcachedOptions options;
  if (!servers.empty()) {
    options.servers = ParseServerList(where, servers);
  } else if (!host.empty()) {
    options.servers = ParseServerList(where, port.empty() ? host : host + ":" + Trim(port));
  } else {
    throw ConfigError(where + ": a memcached service needs servers, or host and port");
  }
  options.username = username;
  options.password = password;
  return options;
}

bool HasTag(const json& instance, const std::string& wanted) {
  auto tags = instance.find("tags");
  if (tags == instance.end() || !tags->is_array()) return false;
  for (const json& tag : *tags) {
    if (tag.is_string() && Lower(tag.get<std::string>()) == wanted) return true;
  }
  return false;
}

// Reads VCAP_SERVICES. The first memcached and the first MySQL service (labels in
// alphabetical order, instances in the given order) are taken.
ServiceFindings FromVcapServices(const std::string& text) {
  ServiceFindings findings;
  json root;
  try {
    root = json::parse(text);
  } catch (const json::parse_error& e) {
    // The parser's own message quotes the input, which holds credentials: only the offset.
    throw ConfigError("VCAP_SERVICES: not valid JSON (error near byte " + std::to_string(e.byte) +
                      ")");
  }
  if (!root.is_object()) throw ConfigError("VCAP_SERVICES: expected a JSON object");

  for (auto& [label, instances] : root.items()) {
    if (!instances.is_array()) {
      throw ConfigError("VCAP_SERVICES: entry '" + label + "' is not a list of services");
    }
    for (const json& instance : instances) {
      if (!instance.is_object()) continue;
      std::string name = instance.contains("name") ? JsonString(instance["name"]) : "";
      std::string where = "VCAP_SERVICES: service '" + (name.empty() ? label : name) + "'";
      bool is_memcached =
          label == "memcachedcloud" || label == "memcachier" || HasTag(instance, "memcached");
      bool is_mysql = label == "cleardb" || label == "p.mysql" || label == "p-mysql" ||
                      HasTag(instance, "mysql");
      if (!is_memcached && !is_mysql) continue;
      auto credentials_it = instance.find("credentials");
      if (credentials_it == instance.end() || !credentials_it->is_object()) {
        throw ConfigError(where + ": has no credentials object");
      }
      const json& c = *credentials_it;
      if (is_memcached && !findings.memcached) {
        std::string servers;
        auto servers_it = c.find("servers");
        if (servers_it != c.end() && servers_it->is_array()) {
          for (const json& s : *servers_it) servers += JsonString(s) + ",";
        } else {
          servers = Field(c, {"servers"});
        }
        findings.memcached =
            MemcachedFromFields(where, servers, Field(c, {"hostname", "host"}), Field(c, {"port"}),
                                Field(c, {"username", "user"}), Field(c, {"password"}));
      } else if (is_mysql && !findings.database_url) {
        std::string uri = Field(c, {"uri", "url"});
        std::string host = Field(c, {"hostname", "host"});
        if (!host.empty()) {
          findings.database_url =
              MysqlUrl(where, host, Field(c, {"port"}), Field(c, {"name", "database"}),
                       Field(c, {"username", "user"}), Field(c, {"password"}));
        } else if (!uri.empty()) {
          findings.database_url = MysqlUrlFromUri(where, uri);
        } else {
          throw ConfigError(where + ": a MySQL service needs uri, or hostname and name");
        }
      }
    }
  }
  return findings;
}

struct ApplicationFindings {
  std::vector<std::string> uris;
  std::optional<int> instance_index;
  std::string instance_id;
};

ApplicationFindings FromVcapApplication(const std::string& text) {
  ApplicationFindings findings;
  json root;
  try {
    root = json::parse(text);
  } catch (const json::parse_error& e) {
    throw ConfigError("VCAP_APPLICATION: not valid JSON (error near byte " +
                      std::to_string(e.byte) + ")");
  }
  if (!root.is_object()) throw ConfigError("VCAP_APPLICATION: expected a JSON object");
  for (const char* key : {"application_uris", "uris"}) {
    auto it = root.find(key);
    if (it == root.end() || !it->is_array()) continue;
    for (const json& uri : *it) {
      if (uri.is_string() && !uri.get<std::string>().empty()) {
        findings.uris.push_back(uri.get<std::string>());
      }
    }
    if (!findings.uris.empty()) break;
  }
  auto index = root.find("instance_index");
  if (index != root.end() && index->is_number_integer() && index->get<int64_t>() >= 0 &&
      index->get<int64_t>() <= 1000000) {
    findings.instance_index = static_cast<int>(index->get<int64_t>());
  }
  auto id = root.find("instance_id");
  if (id != root.end() && id->is_string()) findings.instance_id = id->get<std::string>();
  return findings;
}

std::string ReadBindingFile(const fs::path& dir, const char* name) {
  std::ifstream in(dir / name, std::ios::binary);
  if (!in) return "";
  std::ostringstream text;
  text << in.rdbuf();
  return Trim(text.str());
}

// Reads the service bindings under SERVICE_BINDING_ROOT (one directory per binding, one file
// per entry, the Service Binding for Kubernetes layout). Directories are read in name order;
// the first of each type is taken.
ServiceFindings FromServiceBindings(const std::string& root) {
  ServiceFindings findings;
  std::error_code error;
  if (!fs::is_directory(root, error)) {
    throw ConfigError("SERVICE_BINDING_ROOT: " + Quoted(root) + " is not a directory");
  }
  std::vector<fs::path> bindings;
  for (const fs::directory_entry& entry : fs::directory_iterator(root, error)) {
    if (entry.is_directory(error)) bindings.push_back(entry.path());
  }
  std::sort(bindings.begin(), bindings.end());
  for (const fs::path& dir : bindings) {
    std::string type = Lower(ReadBindingFile(dir, "type"));
    std::string where = "SERVICE_BINDING_ROOT: binding '" + dir.filename().string() + "'";
    if ((type == "memcached" || type == "memcache") && !findings.memcached) {
      findings.memcached =
          MemcachedFromFields(where, ReadBindingFile(dir, "servers"), ReadBindingFile(dir, "host"),
                              ReadBindingFile(dir, "port"), ReadBindingFile(dir, "username"),
                              ReadBindingFile(dir, "password"));
    } else if ((type == "mysql" || type == "mariadb") && !findings.database_url) {
      std::string host = ReadBindingFile(dir, "host");
      std::string uri = ReadBindingFile(dir, "uri");
      if (!host.empty()) {
        findings.database_url =
            MysqlUrl(where, host, ReadBindingFile(dir, "port"), ReadBindingFile(dir, "database"),
                     ReadBindingFile(dir, "username"), ReadBindingFile(dir, "password"));
      } else if (!uri.empty()) {
        findings.database_url = MysqlUrlFromUri(where, uri);
      } else {
        throw ConfigError(where + ": a mysql binding needs host and database, or uri");
      }
    }
  }
  return findings;
}

void ApplyServices(const ServiceFindings& findings, Config& config) {
  if (findings.memcached) {
    config.memcached.servers = findings.memcached->servers;
    config.memcached.username = findings.memcached->username;
    config.memcached.password = findings.memcached->password;
  }
  if (findings.database_url) config.database_url = *findings.database_url;
}

void ApplyLayer(const Layer& layer, Config& config) {
  if (layer.bind_address) config.bind_address = *layer.bind_address;
  if (layer.port) config.port = *layer.port;
  if (layer.instance_index) config.instance_index = *layer.instance_index;
  if (layer.data_dir) config.data_dir = *layer.data_dir;
  if (layer.memcached_servers) config.memcached.servers = *layer.memcached_servers;
  if (layer.memcached_username) config.memcached.username = *layer.memcached_username;
  if (layer.memcached_password) config.memcached.password = *layer.memcached_password;
  if (layer.memcached_timeout_ms) {
    config.memcached.connect_timeout_ms = *layer.memcached_timeout_ms;
    config.memcached.poll_timeout_ms = *layer.memcached_timeout_ms;
  }
  if (layer.database_url) config.database_url = *layer.database_url;
  if (layer.allowed_destinations) config.allowed_destinations = *layer.allowed_destinations;
  if (layer.default_destination) config.default_destination = *layer.default_destination;
  if (layer.max_calls) config.max_calls = *layer.max_calls;
  if (layer.default_concurrency) config.default_concurrency = *layer.default_concurrency;
  if (layer.max_concurrency) config.max_concurrency = *layer.max_concurrency;
  if (layer.poll_interval_ms)
    config.poll_interval = std::chrono::milliseconds(*layer.poll_interval_ms);
  if (layer.call_timeout_ms)
    config.call_timeout = std::chrono::milliseconds(*layer.call_timeout_ms);
  if (layer.claim_lease_s) config.claim_lease = std::chrono::seconds(*layer.claim_lease_s);
  if (layer.log_level) config.log_level = *layer.log_level;
  if (layer.log_format) config.log_format = *layer.log_format;
  if (layer.run_workers_in_process) config.run_workers_in_process = *layer.run_workers_in_process;
}

std::string EnvValue(const std::map<std::string, std::string>& env, const char* name) {
  auto it = env.find(name);
  return it == env.end() ? "" : it->second;
}

}  // namespace

std::string Config::EffectiveDatabaseUrl() const {
  if (!database_url.empty()) return database_url;
  std::error_code error;
  fs::path dir = fs::absolute(data_dir, error);
  if (error) dir = fs::path(data_dir);
  return "sqlite://" + (dir.lexically_normal() / "runs.db").string();
}

Config LoadConfig(const std::vector<std::string>& args,
                  const std::map<std::string, std::string>& env) {
  // Parse the strong sources first so a malformed flag is reported even when the platform's
  // variables are broken too; apply from the weakest up.
  Layer flags = LayerFromFlags(args);
  Layer environment = LayerFromEnvironment(env);

  Config config;
  ApplicationFindings application;
  if (std::string text = EnvValue(env, "VCAP_APPLICATION"); !Trim(text).empty()) {
    application = FromVcapApplication(text);
    config.application_uris = application.uris;
    if (!application.uris.empty()) {
      config.default_destination = "https://" + application.uris.front() + "/receiver";
    }
    if (application.instance_index) config.instance_index = *application.instance_index;
  }
  if (std::string text = EnvValue(env, "VCAP_SERVICES"); !Trim(text).empty()) {
    ApplyServices(FromVcapServices(text), config);
  }
  if (std::string root = EnvValue(env, "SERVICE_BINDING_ROOT"); !root.empty()) {
    ApplyServices(FromServiceBindings(root), config);
  }
  if (environment.memcached_servers || flags.memcached_servers) {
    // Servers named by the operator replace a platform's, and so do its credentials.
    config.memcached.username.clear();
    config.memcached.password.clear();
  }
  ApplyLayer(environment, config);
  ApplyLayer(flags, config);

  std::string guid = EnvValue(env, "CF_INSTANCE_GUID");
  if (guid.empty()) guid = application.instance_id;
  config.instance_guid = guid.empty() ? GenerateInstanceGuid() : guid;

  if (config.default_concurrency > config.max_concurrency) {
    throw ConfigError("--concurrency: " + std::to_string(config.default_concurrency) +
                      " exceeds --max-concurrency " + std::to_string(config.max_concurrency));
  }
  if (config.memcached.servers.empty() &&
      (!config.memcached.username.empty() || !config.memcached.password.empty())) {
    throw ConfigError("--memcached-username/--memcached-password: given without --memcached");
  }
  if (!config.memcached.password.empty() && config.memcached.username.empty()) {
    throw ConfigError("--memcached-password: given without --memcached-username");
  }
  if (config.standalone() && !config.run_workers_in_process) {
    // Standalone, the triggers live in this process's memory: no other worker can see them.
    throw ConfigError(
        "--no-workers (PCFDEMO_WORKERS=off) needs --memcached (PCFDEMO_MEMCACHED): without a "
        "shared memcached the runs triggered here could never start");
  }
  return config;
}

std::map<std::string, std::string> ProcessEnvironment() {
  std::map<std::string, std::string> env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string text(*entry);
    size_t eq = text.find('=');
    if (eq == std::string::npos) continue;
    env.emplace(text.substr(0, eq), text.substr(eq + 1));
  }
  return env;
}

std::string ConfigUsage() {
  std::ostringstream out;
  out << "Flags (--flag=value or --flag value; a flag wins over its environment variable):\n";
  for (const Setting& s : Settings()) {
    std::string left = std::string("  --") + s.flag;
    if (s.value_name != nullptr) left += std::string(" ") + s.value_name;
    out << left;
    if (left.size() < 36) {
      out << std::string(36 - left.size(), ' ');
    } else {
      out << "\n" << std::string(36, ' ');
    }
    out << s.help << "\n";
    if (!s.env.empty()) {
      out << std::string(36, ' ') << "env ";
      for (size_t i = 0; i < s.env.size(); ++i) out << (i == 0 ? "" : ", then ") << s.env[i];
      out << "\n";
    }
  }
  out << "\nAlso read, weaker than flags and the variables above:\n"
         "  SERVICE_BINDING_ROOT   Kubernetes service bindings (type memcached or mysql)\n"
         "  VCAP_SERVICES          Cloud Foundry services: memcachedcloud, cleardb, p.mysql,\n"
         "                         user-provided services tagged memcached or mysql\n"
         "  VCAP_APPLICATION       application_uris (default destination https://URI/receiver)\n"
         "  CF_INSTANCE_GUID       this instance's id (generated when absent)\n";
  return out.str();
}

}  // namespace pcfdemo
