// pcfdemo-worker: the request worker, the CPU load worker and a one-off fan-out as commands
// of one process. This file only picks the command.

#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "commands.h"

#ifndef PCFDEMO_VERSION
#define PCFDEMO_VERSION "dev"
#endif

namespace {

constexpr char kUsage[] =
    "usage: pcfdemo-worker COMMAND [flags]\n"
    "\n"
    "commands:\n"
    "  request   claim request-run triggers from the shared memcached and make their calls\n"
    "            (flags: see pcfdemo-worker request --help)\n"
    "  cpu       burn CPU while the CPU load switch is ON\n"
    "            [--target PERCENT] [--threads K] [--duration SECONDS]\n"
    "  fanout    make N calls to a URL now and summarise them\n"
    "            --url URL --calls N [--concurrency K] [--timeout MS] [--json]\n"
    "\n"
    "  --help     this text\n"
    "  --version  the version\n";

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::cerr << kUsage;
    return 2;
  }
  const std::string command = args.front();
  args.erase(args.begin());

  if (command == "--help" || command == "-h" || command == "help") {
    std::cout << kUsage;
    return 0;
  }
  if (command == "--version" || command == "version") {
    std::cout << "pcfdemo-worker " << PCFDEMO_VERSION << "\n";
    return 0;
  }
  try {
    if (command == "request") return RunRequestCommand(args);
    if (command == "cpu") return RunCpuCommand(args);
    if (command == "fanout") return RunFanoutCommand(args);
  } catch (const std::exception& e) {
    // Commands report their own failures; this is the last resort, and the exceptions of
    // pcfdemo carry no secret.
    std::cerr << "pcfdemo-worker " << command << ": " << e.what() << "\n";
    return 1;
  }
  std::cerr << "pcfdemo-worker: unknown command \"" << command << "\" (see --help)\n";
  return 2;
}
