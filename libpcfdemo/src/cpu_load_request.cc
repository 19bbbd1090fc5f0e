#include "pcfdemo/cpu_load_request.h"

#include <cmath>
#include <sstream>

#include "pcfdemo/trigger_store.h"

namespace pcfdemo {
namespace {

std::string TargetRule() {
  return "the CPU target must be a whole number of percent from " +
         std::to_string(kMinCpuTargetPercent) + " to " + std::to_string(kMaxCpuTargetPercent);
}

std::string DurationRule() {
  return "the CPU load duration must be a whole number of seconds from 1 to " +
         std::to_string(kMaxCpuLoadDurationSeconds) + " (24 hours)";
}

// Shows a number the way a person typed it: 50 rather than 50.000000.
std::string Show(double value) {
  std::ostringstream out;
  out.precision(15);
  out << value;
  return out.str();
}

// Quotes text for a message, shortened so a pasted megabyte does not end up in a page.
std::string Quote(const std::string& text) {
  constexpr size_t kMaxShown = 40;
  std::string shown = text.size() > kMaxShown ? text.substr(0, kMaxShown) + "..." : text;
  for (char& c : shown) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return "\"" + shown + "\"";
}

bool IsWholeInRange(double value, double low, double high) {
  return std::isfinite(value) && std::floor(value) == value && value >= low && value <= high;
}

// Parses an optional minus sign and up to 18 decimal digits; nothing else.
bool ParseDecimal(const std::string& text, int64_t* value) {
  size_t i = 0;
  bool negative = false;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) {
    negative = text[i] == '-';
    ++i;
  }
  if (i == text.size() || text.size() - i > 18) return false;
  int64_t result = 0;
  for (; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    result = result * 10 + (text[i] - '0');
  }
  *value = negative ? -result : result;
  return true;
}

int CheckTarget(double target_percent) {
  if (!IsWholeInRange(target_percent, kMinCpuTargetPercent, kMaxCpuTargetPercent)) {
    throw InvalidCpuLoadRequest(TargetRule() + "; got " + Show(target_percent));
  }
  return static_cast<int>(target_percent);
}

std::chrono::seconds CheckDuration(double duration_s) {
  if (!IsWholeInRange(duration_s, 1, static_cast<double>(kMaxCpuLoadDurationSeconds))) {
    throw InvalidCpuLoadRequest(DurationRule() + "; got " + Show(duration_s));
  }
  return std::chrono::seconds(static_cast<int64_t>(duration_s));
}

}  // namespace

CpuLoadRequest ValidateCpuLoadRequest(double target_percent, double duration_s) {
  CpuLoadRequest request;
  request.target_percent = CheckTarget(target_percent);
  request.duration = CheckDuration(duration_s);
  return request;
}

int ParseCpuTargetPercent(const std::string& text) {
  int64_t value = 0;
  if (!ParseDecimal(text, &value))
    throw InvalidCpuLoadRequest(TargetRule() + "; got " + Quote(text));
  return CheckTarget(static_cast<double>(value));
}

std::chrono::seconds ParseCpuLoadDuration(const std::string& text) {
  int64_t value = 0;
  if (!ParseDecimal(text, &value)) {
    throw InvalidCpuLoadRequest(DurationRule() + "; got " + Quote(text));
  }
  return CheckDuration(static_cast<double>(value));
}

void SwitchCpuLoadOn(TriggerStore* triggers, const CpuLoadRequest& request) {
  const CpuLoadRequest checked =
      ValidateCpuLoadRequest(request.target_percent, static_cast<double>(request.duration.count()));
  triggers->SetCpuLoad(true, checked.target_percent, checked.duration);
}

void SwitchCpuLoadOff(TriggerStore* triggers) {
  triggers->SetCpuLoad(false, kMaxCpuTargetPercent, std::chrono::seconds(0));
}

}  // namespace pcfdemo
