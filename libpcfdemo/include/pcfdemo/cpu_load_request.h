// CpuLoadRequest is what a person or a program asks of the CPU load switch: a target
// utilisation and how long to hold it. The checks here are shared by every door into the
// switch (PUT /api/cpu-load, `pcfdemo-worker cpu --target/--duration`), so each door
// rejects the same inputs with the same words, before anything is changed.
//
// Everything here is a pure function of its arguments and safe from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace pcfdemo {

class TriggerStore;

constexpr int kMinCpuTargetPercent = 1;
constexpr int kMaxCpuTargetPercent = 100;
constexpr int64_t kMaxCpuLoadDurationSeconds = 24 * 60 * 60;
constexpr std::chrono::seconds kDefaultCpuLoadDuration{60 * 60};  // a forgotten ON stops

struct CpuLoadRequest {
  int target_percent = kMaxCpuTargetPercent;
  std::chrono::seconds duration = kDefaultCpuLoadDuration;
};

// A target or duration that is out of range or not a whole number. what() is a sentence a
// person understands, naming the accepted range and what was given.
class InvalidCpuLoadRequest : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// Checks numbers as they come from JSON. Returns the request when `target_percent` is a
// whole number from 1 to 100 and `duration_s` a whole number of seconds from 1 to 86400;
// throws InvalidCpuLoadRequest otherwise (NaN, infinities and fractions included).
CpuLoadRequest ValidateCpuLoadRequest(double target_percent, double duration_s);

// Parse text as given on a command line or in a query string ("60", not "60%" or " 60").
// Throw InvalidCpuLoadRequest for anything else, e.g. "abc", "0", "101", "-5", "1e3".
int ParseCpuTargetPercent(const std::string& text);
std::chrono::seconds ParseCpuLoadDuration(const std::string& text);

// Turns the switch ON with `request` after checking it, or OFF. An invalid request throws
// InvalidCpuLoadRequest and leaves the switch exactly as it was. Throws BackendError when
// the store cannot answer.
void SwitchCpuLoadOn(TriggerStore* triggers, const CpuLoadRequest& request);
void SwitchCpuLoadOff(TriggerStore* triggers);

}  // namespace pcfdemo
