// Parsing and redaction of database URLs.
#include "pcfdemo/database_url.h"

#include <stdexcept>

#include "pcfdemo/sql_run_repository.h"

namespace pcfdemo {
namespace {

constexpr char kMySqlScheme[] = "mysql://";
constexpr char kSqliteScheme[] = "sqlite://";
constexpr char kMemoryUrl[] = "memory:";

bool StartsWith(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The position of the '@' that ends the user information of "scheme://...", or npos. The
// last '@' before any query wins, so a password with an unescaped '@' or '/' still parses
// (database names never contain '@').
std::string::size_type UserInfoEnd(const std::string& url, std::string::size_type authority) {
  std::string::size_type query = url.find('?', authority);
  std::string::size_type at = url.rfind('@', query == std::string::npos ? url.npos : query);
  if (at == std::string::npos || at < authority) return std::string::npos;
  return at;
}

// Reads the options after '?': `pool_size=N`; anything else is ignored.
void ParseOptions(const std::string& query, DatabaseUrl& parsed) {
  std::string::size_type begin = 0;
  while (begin <= query.size()) {
    std::string::size_type end = query.find('&', begin);
    if (end == std::string::npos) end = query.size();
    std::string option = query.substr(begin, end - begin);
    if (option.rfind("pool_size=", 0) == 0) {
      std::string value = option.substr(sizeof("pool_size=") - 1);
      if (value.empty() || value.size() > 3 ||
          value.find_first_not_of("0123456789") != value.npos || std::stoi(value) < 1 ||
          std::stoi(value) > 256) {
        throw std::invalid_argument("pool_size must be 1 to 256");
      }
      parsed.pool_size = std::stoi(value);
    }
    begin = end + 1;
  }
}

DatabaseUrl ParseMySql(const std::string& url) {
  DatabaseUrl parsed;
  parsed.kind = DatabaseUrl::Kind::kMySql;
  const std::string::size_type authority = sizeof(kMySqlScheme) - 1;

  std::string::size_type host_start = authority;
  std::string::size_type at = UserInfoEnd(url, authority);
  if (at != std::string::npos) {
    std::string user_info = url.substr(authority, at - authority);
    std::string::size_type colon = user_info.find(':');
    parsed.user = PercentDecode(user_info.substr(0, colon));
    if (colon != std::string::npos) parsed.password = PercentDecode(user_info.substr(colon + 1));
    host_start = at + 1;
  }

  std::string::size_type slash = url.find('/', host_start);
  std::string host_port =
      url.substr(host_start, slash == std::string::npos ? std::string::npos : slash - host_start);
  std::string::size_type port_colon = std::string::npos;
  if (!host_port.empty() && host_port[0] == '[') {
    std::string::size_type close = host_port.find(']');
    if (close == std::string::npos) throw std::invalid_argument("unterminated IPv6 host");
    parsed.host = host_port.substr(1, close - 1);
    if (close + 1 < host_port.size()) {
      if (host_port[close + 1] != ':') throw std::invalid_argument("malformed host");
      port_colon = close + 1;
    }
  } else {
    port_colon = host_port.find(':');
    parsed.host = host_port.substr(0, port_colon);
  }
  if (parsed.host.empty()) throw std::invalid_argument("missing host");
  if (port_colon != std::string::npos) {
    std::string port = host_port.substr(port_colon + 1);
    if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != port.npos) {
      throw std::invalid_argument("malformed port");
    }
    parsed.port = std::stoi(port);
    if (parsed.port < 1 || parsed.port > 65535) throw std::invalid_argument("port out of range");
  }

  if (slash == std::string::npos) throw std::invalid_argument("missing database name");
  std::string database = url.substr(slash + 1);
  std::string::size_type question = database.find('?');
  if (question != std::string::npos) {
    ParseOptions(database.substr(question + 1), parsed);
    database.resize(question);
  }
  parsed.database = PercentDecode(database);
  if (parsed.database.empty()) throw std::invalid_argument("missing database name");
  return parsed;
}

DatabaseUrl ParseSqlite(const std::string& url) {
  DatabaseUrl parsed;
  parsed.kind = DatabaseUrl::Kind::kSqlite;
  std::string path = url.substr(sizeof(kSqliteScheme) - 1);
  std::string::size_type question = path.find('?');
  if (question != std::string::npos) {
    ParseOptions(path.substr(question + 1), parsed);
    path.resize(question);
  }
  parsed.path = PercentDecode(path);
  if (parsed.path.empty()) throw std::invalid_argument("missing file path");
  return parsed;
}

}  // namespace

std::string PercentDecode(const std::string& text) {
  std::string decoded;
  decoded.reserve(text.size());
  for (std::string::size_type i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      decoded += text[i];
      continue;
    }
    if (i + 2 >= text.size()) {
      throw std::invalid_argument("malformed percent escape");
    }
    int high = HexValue(text[i + 1]);
    int low = HexValue(text[i + 2]);
    if (high < 0 || low < 0) throw std::invalid_argument("malformed percent escape");
    decoded += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return decoded;
}

std::string DatabaseUrl::Describe() const {
  switch (kind) {
    case Kind::kMySql: {
      bool ipv6 = host.find(':') != std::string::npos;
      return "mysql " + (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port) + "/" +
             database;
    }
    case Kind::kSqlite:
      return "sqlite " + path;
    case Kind::kMemory:
      break;
  }
  return "memory";
}

DatabaseUrl ParseDatabaseUrl(const std::string& url) {
  if (url == kMemoryUrl) return DatabaseUrl{};
  if (StartsWith(url, kMySqlScheme)) return ParseMySql(url);
  if (StartsWith(url, kSqliteScheme)) return ParseSqlite(url);
  throw std::invalid_argument("unsupported database URL (expected mysql://, sqlite:// or memory:)");
}

std::string RedactDatabaseUrl(const std::string& url) {
  std::string::size_type scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return url;
  std::string::size_type authority = scheme_end + 3;
  std::string::size_type at = UserInfoEnd(url, authority);
  if (at == std::string::npos) return url;
  std::string::size_type colon = url.find(':', authority);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon + 1) + "***" + url.substr(at);
}

}  // namespace pcfdemo
