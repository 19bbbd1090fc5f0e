// embed-fanout: makes N GET calls to a URL with K concurrent callers, using pcfdemo's
// RequestFanout inside this program, and prints a summary. It stops early on Ctrl-C, or when
// more calls have failed than --max-failures allows.
//
//   embed-fanout --url http://127.0.0.1:8080/receiver?timestamp=0 --calls 200 --concurrency 8
//
// Exit status: 0 when every call succeeded, 1 when some failed or the fan-out stopped early,
// 2 for bad arguments.

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "failure_budget.h"
#include "fanout_summary.h"
#include "pcfdemo/clock.h"
#include "pcfdemo/curl_http_client.h"
#include "pcfdemo/request_fanout.h"

namespace {

constexpr char kUsage[] =
    "usage: embed-fanout --url URL --calls N [--concurrency K] [--timeout-ms MS]\n"
    "                    [--max-failures F] [--quiet]\n";

std::atomic<bool> stop_requested{false};

void OnInterrupt(int) {
  stop_requested.store(true);
}

struct Arguments {
  pcfdemo::FanoutPlan plan;
  int64_t max_failures = -1;  // no budget
  bool quiet = false;
};

// Parses a whole decimal number in [min, max]; false when `text` is anything else.
bool ParseNumber(const std::string& text, int64_t min, int64_t max, int64_t* value) {
  if (text.empty() || text.size() > 18) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  int64_t parsed = std::strtoll(text.c_str(), nullptr, 10);
  if (parsed < min || parsed > max) return false;
  *value = parsed;
  return true;
}

// Fills `arguments` from argv; on a mistake writes one line to stderr and returns false.
bool ParseArguments(const std::vector<std::string>& args, Arguments* arguments) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& flag = args[i];
    if (flag == "--quiet") {
      arguments->quiet = true;
      continue;
    }
    if (i + 1 >= args.size()) {
      std::cerr << "embed-fanout: " << flag << " needs a value\n";
      return false;
    }
    const std::string& value = args[++i];
    int64_t number = 0;
    if (flag == "--url") {
      if (value.rfind("http://", 0) != 0 && value.rfind("https://", 0) != 0) {
        std::cerr << "embed-fanout: --url must be an http:// or https:// URL\n";
        return false;
      }
      arguments->plan.url = value;
    } else if (flag == "--calls" && ParseNumber(value, 1, 100000000, &number)) {
      arguments->plan.calls = number;
    } else if (flag == "--concurrency" && ParseNumber(value, 1, 1024, &number)) {
      arguments->plan.concurrency = static_cast<int>(number);
    } else if (flag == "--timeout-ms" && ParseNumber(value, 1, 600000, &number)) {
      arguments->plan.timeout = std::chrono::milliseconds(number);
    } else if (flag == "--max-failures" && ParseNumber(value, 0, 100000000, &number)) {
      arguments->max_failures = number;
    } else {
      std::cerr << "embed-fanout: bad flag or value: " << flag << "\n" << kUsage;
      return false;
    }
  }
  if (arguments->plan.url.empty() || arguments->plan.calls == 0) {
    std::cerr << kUsage;
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Arguments arguments;
  if (!ParseArguments(std::vector<std::string>(argv + 1, argv + argc), &arguments)) return 2;

  std::signal(SIGINT, OnInterrupt);

  // The library's libcurl client, wrapped in this program's own policy.
  std::unique_ptr<pcfdemo::HttpClient> curl = pcfdemo::NewCurlHttpClient();
  embed_fanout::FailureBudget client(curl.get(), arguments.max_failures, &stop_requested);
  pcfdemo::RequestFanout fanout(&client, pcfdemo::SystemClock());

  auto show_progress = [&arguments](const pcfdemo::FanoutProgress& progress) {
    if (arguments.quiet) return;
    std::cerr << "\rprogress: " << progress.done << "/" << progress.total << " (" << progress.failed
              << " failed)" << std::flush;
  };
  pcfdemo::FanoutReport report =
      fanout.Run(arguments.plan, show_progress, &stop_requested, std::chrono::milliseconds(250));
  if (!arguments.quiet) std::cerr << "\n";
  if (client.exhausted()) {
    std::cerr << "embed-fanout: stopped after more than " << arguments.max_failures
              << " failed calls\n";
  }

  std::cout << embed_fanout::Summarise(arguments.plan, report);
  return (report.failed == 0 && !report.cancelled) ? 0 : 1;
}
