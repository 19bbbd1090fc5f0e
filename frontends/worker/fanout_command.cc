// `pcfdemo-worker fanout`: N calls to one URL from this process through the same
// RequestFanout and HttpClient the request worker uses, summarised like a load tester does.
// Useful to measure the platform's router and the receivers without a request run.

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "commands.h"
#include "pcfdemo/clock.h"
#include "pcfdemo/curl_http_client.h"
#include "pcfdemo/request_fanout.h"
#include "worker_process.h"

namespace {

constexpr char kUsage[] =
    "usage: pcfdemo-worker fanout --url URL --calls N [--concurrency K] [--timeout MS] [--json]\n"
    "\n"
    "  --url URL          absolute http:// or https:// URL every call GETs\n"
    "  --calls N          calls to make (1..1000000000)\n"
    "  --concurrency K    calls in flight at once (1..1024, default 8)\n"
    "  --timeout MS       timeout of one call in milliseconds (1..600000, default 10000)\n"
    "  --json             print one JSON object instead of the text summary\n"
    "\n"
    "Exit status: 0 when every call was made (whatever they answered), 2 for bad input,\n"
    "130 when interrupted (the summary of the calls made is printed all the same).\n";

constexpr int kMaxConcurrency = 1024;
constexpr int64_t kMaxCalls = 1000000000;
constexpr int64_t kMaxTimeoutMs = 600000;

struct FanoutFlags {
  std::string url;
  std::string calls_text;
  std::string concurrency_text;
  std::string timeout_text;
  bool json = false;
  bool help = false;
};

// Bad input: the message is the one line printed before exiting with status 2.
struct UsageError {
  std::string message;
};

FanoutFlags ParseFlags(const std::vector<std::string>& args) {
  FanoutFlags flags;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string name = args[i];
    std::optional<std::string> value;
    if (name.rfind("--", 0) != 0) {
      // Not echoed: it may be a URL with credentials.
      throw UsageError{"unexpected argument #" + std::to_string(i + 1) + " (see --help)"};
    }
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (name == "--json" || name == "--help") {
      if (value) throw UsageError{name + " takes no value"};
      (name == "--json" ? flags.json : flags.help) = true;
      continue;
    }
    std::string* target = name == "--url"           ? &flags.url
                          : name == "--calls"       ? &flags.calls_text
                          : name == "--concurrency" ? &flags.concurrency_text
                          : name == "--timeout"     ? &flags.timeout_text
                                                    : nullptr;
    if (target == nullptr) throw UsageError{"unknown flag " + name + " (see --help)"};
    if (!value) {
      if (i + 1 >= args.size()) throw UsageError{name + " needs a value"};
      value = args[++i];
    }
    *target = *value;
  }
  return flags;
}

// The whole of `text` as an integer in [min, max], or a UsageError naming `flag`.
int64_t ParseBounded(const std::string& flag, const std::string& text, int64_t min, int64_t max,
                     const std::string& expected) {
  int64_t value = 0;
  const char* end = text.data() + text.size();
  auto [stop, error] = std::from_chars(text.data(), end, value);
  if (text.empty() || error != std::errc() || stop != end || value < min || value > max) {
    std::string shown = text.size() > 40 ? text.substr(0, 40) + "..." : text;
    throw UsageError{flag + " must be " + expected + ", got \"" + shown + "\""};
  }
  return value;
}

// Checks that `url` is an absolute http or https URL with a host; the message never
// repeats the URL, which may carry credentials.
void CheckUrl(const std::string& url) {
  if (url.empty()) throw UsageError{"--url is required (an absolute http:// or https:// URL)"};
  for (char c : url) {
    if (std::iscntrl(static_cast<unsigned char>(c)) || c == ' ') {
      throw UsageError{"--url must not contain spaces or control characters"};
    }
  }
  size_t scheme_end = url.find("://");
  std::string scheme = scheme_end == std::string::npos ? "" : url.substr(0, scheme_end);
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (scheme != "http" && scheme != "https") {
    throw UsageError{"--url must start with http:// or https://"};
  }
  std::string authority = url.substr(scheme_end + 3);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  std::string host =
      authority.substr(authority.rfind('@') == std::string::npos ? 0 : authority.rfind('@') + 1);
  if (host.empty() || host[0] == ':') throw UsageError{"--url has no host"};
}

pcfdemo::FanoutPlan PlanFromFlags(const FanoutFlags& flags) {
  pcfdemo::FanoutPlan plan;
  CheckUrl(flags.url);
  plan.url = flags.url;
  if (flags.calls_text.empty()) throw UsageError{"--calls is required (a positive integer)"};
  plan.calls = ParseBounded("--calls", flags.calls_text, 1, kMaxCalls,
                            "a positive integer up to " + std::to_string(kMaxCalls));
  if (!flags.concurrency_text.empty()) {
    plan.concurrency =
        static_cast<int>(ParseBounded("--concurrency", flags.concurrency_text, 1, kMaxConcurrency,
                                      "an integer from 1 to " + std::to_string(kMaxConcurrency)));
  }
  if (!flags.timeout_text.empty()) {
    plan.timeout = std::chrono::milliseconds(
        ParseBounded("--timeout", flags.timeout_text, 1, kMaxTimeoutMs,
                     "milliseconds from 1 to " + std::to_string(kMaxTimeoutMs)));
  }
  return plan;
}

std::string Fixed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof(text), "%.*f", decimals, value);
  return text;
}

std::string TextSummary(const pcfdemo::FanoutPlan& plan, const pcfdemo::FanoutReport& report) {
  std::ostringstream out;
  out << "Summary:\n";
  out << "  URL:          " << pcfdemo::RedactUrlCredentials(plan.url) << "\n";
  out << "  Calls:        " << report.calls_made << " of " << plan.calls << " (concurrency "
      << plan.concurrency << ")" << (report.cancelled ? ", interrupted" : "") << "\n";
  out << "  Succeeded:    " << report.succeeded << "\n";
  out << "  Failed:       " << report.failed << "\n";
  out << "  Total:        " << Fixed(report.elapsed_s, 4) << " secs\n";
  out << "  Calls/sec:    " << Fixed(report.calls_per_second(), 2) << "\n";

  out << "\nLatency distribution (answered calls):\n";
  auto unanswered = report.by_status.find(0);
  int64_t answered =
      report.calls_made - (unanswered == report.by_status.end() ? 0 : unanswered->second);
  if (answered == 0) {
    out << "  no call was answered\n";
  } else {
    out << "  50% in " << Fixed(report.latency.p50_ms, 3) << " ms\n";
    out << "  95% in " << Fixed(report.latency.p95_ms, 3) << " ms\n";
    out << "  99% in " << Fixed(report.latency.p99_ms, 3) << " ms\n";
  }

  out << "\nStatus code distribution:\n";
  for (const auto& [status, calls] : report.by_status) {
    if (status == 0) {
      out << "  [none]\t" << calls << " calls without an answer\n";
    } else {
      out << "  [" << status << "]\t" << calls << " responses\n";
    }
  }
  out << "\nInstances answering: " << report.by_instance.size() << "\n";
  for (const auto& [instance, calls] : report.by_instance) {
    out << "  [" << instance << "]\t" << calls << " responses\n";
  }
  if (!report.errors.empty()) {
    out << "\nError distribution:\n";
    for (const auto& [error, calls] : report.errors) {
      out << "  [" << calls << "]\t" << error << "\n";
    }
  }
  return out.str();
}

std::string JsonSummary(const pcfdemo::FanoutPlan& plan, const pcfdemo::FanoutReport& report) {
  nlohmann::json by_status = nlohmann::json::object();
  for (const auto& [status, calls] : report.by_status) by_status[std::to_string(status)] = calls;
  nlohmann::json summary = {
      {"url", pcfdemo::RedactUrlCredentials(plan.url)},
      {"calls", plan.calls},
      {"concurrency", plan.concurrency},
      {"timeout_ms", plan.timeout.count()},
      {"calls_made", report.calls_made},
      {"succeeded", report.succeeded},
      {"failed", report.failed},
      {"elapsed_s", report.elapsed_s},
      {"calls_per_second", report.calls_per_second()},
      {"by_status", by_status},
      {"instances", report.by_instance},
      {"errors", report.errors},
      {"latency_ms",
       {{"p50", report.latency.p50_ms},
        {"p95", report.latency.p95_ms},
        {"p99", report.latency.p99_ms}}},
      {"cancelled", report.cancelled},
  };
  return summary.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace

int RunFanoutCommand(const std::vector<std::string>& args) {
  pcfdemo::FanoutPlan plan;
  bool json = false;
  try {
    FanoutFlags flags = ParseFlags(args);
    if (flags.help) {
      std::cout << kUsage;
      return 0;
    }
    plan = PlanFromFlags(flags);
    json = flags.json;
  } catch (const UsageError& e) {
    std::cerr << "pcfdemo-worker fanout: " << e.message << "\n";
    return 2;
  }

  std::atomic<bool> cancel{false};
  pcfdemo::worker::TerminationSignals signals([&cancel](int) { cancel = true; });
  auto client = pcfdemo::NewCurlHttpClient();
  pcfdemo::RequestFanout fanout(client.get(), pcfdemo::SystemClock());
  pcfdemo::FanoutReport report = fanout.Run(plan, {}, &cancel);

  std::cout << (json ? JsonSummary(plan, report) : TextSummary(plan, report)) << std::flush;
  return report.cancelled ? 130 : 0;
}
