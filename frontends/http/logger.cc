#include "logger.h"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "pcfdemo/clock.h"
#include "pcfdemo/redaction.h"
#include "pcfdemo/run_json.h"

namespace pcfdemo::web {
namespace {

const char* LevelName(Logger::Level level) {
  switch (level) {
    case Logger::Level::kDebug:
      return "DEBUG";
    case Logger::Level::kInfo:
      return "INFO";
    case Logger::Level::kWarn:
      return "WARN";
    case Logger::Level::kError:
      return "ERROR";
  }
  return "INFO";
}

}  // namespace

Logger::Logger(const std::string& level, const std::string& format,
               std::vector<std::string> secrets)
    : level_(level == "debug"   ? Level::kDebug
             : level == "warn"  ? Level::kWarn
             : level == "error" ? Level::kError
                                : Level::kInfo),
      json_(format == "json") {
  for (std::string& secret : secrets) {
    if (!secret.empty()) secrets_.push_back(std::move(secret));
  }
}

std::string Logger::Scrub(std::string text) const {
  // Only whole tokens: a short password inside a word ("demo" in "pcfdemo") stays, or the
  // mangled word would reveal it. URL passwords are hidden by place (RedactText) anyway.
  for (const std::string& secret : secrets_) text = ReplaceSecretTokens(std::move(text), secret);
  return RedactText(text);
}

void Logger::Write(Level level, const std::string& message) {
  if (level < level_) return;
  std::string time = FormatIsoUtc(SystemClock()->NowMicros() / 1000);
  std::string clean = Scrub(message);
  std::string line;
  if (json_) {
    nlohmann::json object = {{"time", time}, {"level", LevelName(level)}, {"message", clean}};
    line = object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } else {
    for (char& c : clean) {
      if (c == '\n' || c == '\r') c = ' ';
    }
    line = time + " " + LevelName(level) + " " + clean;
  }
  line += '\n';
  std::lock_guard<std::mutex> lock(mu_);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace pcfdemo::web
