#include "fanout_summary.h"

#include <cstdio>
#include <sstream>

namespace embed_fanout {

namespace {

std::string Fixed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof(text), "%.*f", decimals, value);
  return text;
}

}  // namespace

std::string Summarise(const pcfdemo::FanoutPlan& plan, const pcfdemo::FanoutReport& report) {
  std::ostringstream out;
  out << "calls planned: " << plan.calls << "\n";
  out << "calls made: " << report.calls_made << "\n";
  out << "succeeded: " << report.succeeded << "\n";
  out << "failed: " << report.failed << "\n";
  out << "stopped early: " << (report.cancelled ? "yes" : "no") << "\n";
  for (const auto& [status, calls] : report.by_status) {
    out << "status " << status << ": " << calls << "\n";
  }
  for (const auto& [instance, calls] : report.by_instance) {
    out << "instance " << instance << ": " << calls << "\n";
  }
  for (const auto& [error, calls] : report.errors) {
    out << "error " << error << ": " << calls << "\n";
  }
  out << "latency ms: p50 " << Fixed(report.latency.p50_ms, 2) << " p95 "
      << Fixed(report.latency.p95_ms, 2) << " p99 " << Fixed(report.latency.p99_ms, 2) << "\n";
  out << "calls per second: " << Fixed(report.calls_per_second(), 1) << "\n";
  return out.str();
}

}  // namespace embed_fanout
