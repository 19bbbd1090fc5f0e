// Logger writes pcfdemo-web's log lines to standard error, one line per state change, as
// text ("2024-05-01T12:00:00.000Z INFO message") or as JSON objects, filtered by level.
// Every line passes through a scrubber that replaces known secrets with "***".
//
// Thread-safe: lines from different threads never interleave.
#pragma once

#include <mutex>
#include <string>
#include <vector>

namespace pcfdemo::web {

class Logger {
 public:
  enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

  // `level` is debug, info, warn or error; `format` text or json. `secrets` are removed from
  // every line (empty strings are ignored).
  Logger(const std::string& level, const std::string& format, std::vector<std::string> secrets);

  void Debug(const std::string& message) { Write(Level::kDebug, message); }
  void Info(const std::string& message) { Write(Level::kInfo, message); }
  void Warn(const std::string& message) { Write(Level::kWarn, message); }
  void Error(const std::string& message) { Write(Level::kError, message); }

  // `text` with every known secret and every URL password (RedactText) replaced by "***".
  std::string Scrub(std::string text) const;

 private:
  void Write(Level level, const std::string& message);

  Level level_;
  bool json_;
  std::vector<std::string> secrets_;
  std::mutex mu_;
};

}  // namespace pcfdemo::web
