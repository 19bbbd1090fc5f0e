// DatabaseUrl is a parsed database URL, the value of `--database` / `PCFDEMO_DATABASE_URL`:
//   mysql://user:password@host:port/database[?options]   (port 3306 when omitted)
//   sqlite:///absolute/path/to/file.db
//   memory:
// User, password, database and path are percent-decoded, so a password may contain any byte
// when it is written %XX. One query option is understood: `pool_size=N` (1 to 256), the most
// connections the repository opens (default 8 for MySQL, 4 for SQLite). Others (for example
// Cloud Foundry's `?reconnect=true`) are accepted and ignored: the MySQL repository always
// reconnects.
//
// Plain values, no shared state: safe to use from any thread.
#pragma once

#include <cstdint>
#include <string>

namespace pcfdemo {

struct DatabaseUrl {
  enum class Kind { kMySql, kSqlite, kMemory };

  Kind kind = Kind::kMemory;
  std::string user;      // mysql only
  std::string password;  // mysql only; never log it
  std::string host;      // mysql only; without brackets for an IPv6 literal
  int port = 3306;       // mysql only
  std::string database;  // mysql only
  std::string path;      // sqlite only
  int pool_size = 0;     // from `?pool_size=N`; 0 means the repository's default

  // "mysql host:port/database", "sqlite /path" or "memory": no credentials.
  std::string Describe() const;
};

// Parses `url`. Throws std::invalid_argument with a reason that never contains the password
// when the URL is malformed or its scheme is not one of the three above.
DatabaseUrl ParseDatabaseUrl(const std::string& url);

// Decodes %XX escapes. Throws std::invalid_argument on a malformed escape.
std::string PercentDecode(const std::string& text);

}  // namespace pcfdemo
