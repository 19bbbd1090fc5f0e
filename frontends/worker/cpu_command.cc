// `pcfdemo-worker cpu`: the CPU load worker as a process of its own.
//
// With --target or --duration it burns directly, without any store, for the given time or
// until SIGTERM / SIGINT: a load generator for any machine. Otherwise it follows the CPU
// load switch in the shared memcached, burning while it is ON and reporting a heartbeat,
// until SIGTERM / SIGINT.

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <exception>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "commands.h"
#include "pcfdemo/backend_error.h"
#include "pcfdemo/clock.h"
#include "pcfdemo/config.h"
#include "pcfdemo/cpu_burner.h"
#include "pcfdemo/cpu_load_request.h"
#include "pcfdemo/cpu_load_worker.h"
#include "pcfdemo/memcached_key_value_store.h"
#include "pcfdemo/trigger_store.h"
#include "worker_process.h"

namespace {

constexpr char kComponent[] = "cpu-worker";
constexpr int kMaxThreads = 1024;

constexpr char kUsage[] =
    "usage: pcfdemo-worker cpu [--target PERCENT] [--threads K] [--duration SECONDS] [flags]\n"
    "\n"
    "Burns CPU so that a platform's autoscaler has a load to react to.\n"
    "\n"
    "  With --target or --duration: burns now, without any store, on K threads each held at\n"
    "  PERCENT (1-100, default 100) for SECONDS (1-86400, default 3600) or until SIGTERM or\n"
    "  SIGINT. For use on any machine.\n"
    "\n"
    "  Otherwise: follows the CPU load switch (the CPULoad key and pcfdemo's target and\n"
    "  expiry keys) in the shared memcached, reading it every poll interval, and reports a\n"
    "  heartbeat while it burns. Needs --memcached (or PCFDEMO_MEMCACHED).\n"
    "\n"
    "  --threads K   threads to burn on (1-1024); default: the CPUs this process may use,\n"
    "                honouring its affinity mask and a cgroup v2 cpu.max quota\n"
    "\n"
    "flags of the switch mode (each also read from its environment variable):\n";

struct CpuFlags {
  std::optional<std::string> target;
  std::optional<std::string> threads;
  std::optional<std::string> duration;
  std::vector<std::string> rest;  // left for LoadConfig
  bool help = false;
};

// Takes --target, --threads and --duration (as "--name value" or "--name=value") out of
// `args`. Returns false with `error` set when one of them has no value.
bool SplitFlags(const std::vector<std::string>& args, CpuFlags* flags, std::string* error) {
  const std::vector<std::pair<std::string, std::optional<std::string>*>> own = {
      {"--target", &flags->target},
      {"--threads", &flags->threads},
      {"--duration", &flags->duration}};
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      flags->help = true;
      continue;
    }
    bool taken = false;
    for (const auto& [name, slot] : own) {
      if (arg == name) {
        if (i + 1 >= args.size()) {
          *error = name + " needs a value";
          return false;
        }
        *slot = args[++i];
        taken = true;
      } else if (arg.rfind(name + "=", 0) == 0) {
        *slot = arg.substr(name.size() + 1);
        taken = true;
      }
      if (taken) break;
    }
    if (!taken) flags->rest.push_back(arg);
  }
  return true;
}

// Returns 1..1024, or 0 with `error` set.
int ParseThreads(const std::string& text, std::string* error) {
  int value = 0;
  bool digits = !text.empty() && text.size() <= 4;
  for (char c : text) {
    if (c < '0' || c > '9') digits = false;
  }
  if (digits) value = std::stoi(text);
  if (!digits || value < 1 || value > kMaxThreads) {
    *error = "--threads must be a whole number of threads from 1 to " +
             std::to_string(kMaxThreads) + "; got \"" + text.substr(0, 40) + "\"";
    return 0;
  }
  return value;
}

std::string Percent(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f%%", value);
  return text;
}

int BurnDirectly(const pcfdemo::CpuLoadRequest& request, int threads, const std::string& format) {
  auto log = [&format](const std::string& message) {
    pcfdemo::worker::LogLine(format, "info", kComponent, message);
  };

  // Signals first, before any thread exists, so that every thread leaves them to the waiter.
  std::mutex mu;
  std::condition_variable wake;
  int received = 0;
  pcfdemo::worker::TerminationSignals signals([&](int signal) {
    std::lock_guard<std::mutex> lock(mu);
    received = signal;
    wake.notify_all();
  });

  pcfdemo::Clock* clock = pcfdemo::SystemClock();
  pcfdemo::CpuBurner burner;
  const int64_t started = clock->MonotonicMicros();
  burner.Start(threads, request.target_percent);
  log("burning " + std::to_string(threads) + " thread(s) at " +
      std::to_string(request.target_percent) + "% for " + std::to_string(request.duration.count()) +
      " s (direct: no switch is read)");

  {
    std::unique_lock<std::mutex> lock(mu);
    wake.wait_for(lock, request.duration, [&] { return received != 0; });
  }
  const double achieved = burner.achieved_percent();
  burner.Stop();
  const double seconds = static_cast<double>(clock->MonotonicMicros() - started) / 1e6;
  std::string why;
  {
    std::lock_guard<std::mutex> lock(mu);
    why = received == 0 ? "duration over"
                        : (received == SIGTERM ? "stopped by SIGTERM" : "stopped by SIGINT");
  }
  char elapsed[32];
  std::snprintf(elapsed, sizeof(elapsed), "%.1f", seconds);
  log("burner stopped (" + why + ") after " + elapsed + " s, last achieved " + Percent(achieved) +
      " per thread");
  return 0;
}

int FollowSwitch(const pcfdemo::Config& config, int threads) {
  const std::string format = config.log_format;
  auto log = [&format](const std::string& message) {
    pcfdemo::worker::LogLine(format, "info", kComponent, message);
  };
  const std::string worker_id = pcfdemo::worker::NewWorkerId();

  std::atomic<bool> stop_requested{false};
  std::atomic<pcfdemo::CpuLoadWorker*> running{nullptr};
  pcfdemo::worker::TerminationSignals signals([&](int signal) {
    stop_requested = true;
    log(pcfdemo::worker::StoppingMessage(worker_id, signal));
    if (pcfdemo::CpuLoadWorker* worker = running.load()) worker->Stop();
  });

  std::unique_ptr<pcfdemo::KeyValueStore> store;
  try {
    store = pcfdemo::NewMemcachedKeyValueStore(config.memcached);
  } catch (const pcfdemo::BackendError& e) {
    pcfdemo::worker::LogLine(format, "error", kComponent, std::string("cannot start: ") + e.what());
    return 1;
  }
  pcfdemo::TriggerStore triggers(store.get(), pcfdemo::SystemClock());

  pcfdemo::CpuLoadWorkerOptions options;
  options.worker_id = worker_id;
  options.poll_interval = config.poll_interval;
  options.threads = threads;
  pcfdemo::CpuLoadWorker worker(&triggers, pcfdemo::SystemClock(), options, log);

  log("worker " + worker_id + " started: following the CPU load switch in " + store->Describe() +
      " every " + std::to_string(config.poll_interval.count()) + " ms, burning on " +
      (threads > 0 ? std::to_string(threads) : std::to_string(pcfdemo::UsableCpus()) + " usable") +
      " thread(s) when ON");
  running = &worker;
  if (stop_requested.load()) worker.Stop();  // a signal arrived while starting up

  worker.Loop();
  running = nullptr;
  log("worker " + worker_id + " stopped");
  return 0;
}

}  // namespace

int RunCpuCommand(const std::vector<std::string>& args) {
  CpuFlags flags;
  std::string error;
  if (!SplitFlags(args, &flags, &error)) {
    std::cerr << "pcfdemo-worker cpu: " << error << "\n";
    return 2;
  }
  if (flags.help) {
    std::cout << kUsage << pcfdemo::ConfigUsage();
    return 0;
  }

  int threads = 0;
  if (flags.threads) {
    threads = ParseThreads(*flags.threads, &error);
    if (threads == 0) {
      std::cerr << "pcfdemo-worker cpu: " << error << "\n";
      return 2;
    }
  }

  pcfdemo::CpuLoadRequest request;
  try {
    if (flags.target) request.target_percent = pcfdemo::ParseCpuTargetPercent(*flags.target);
    if (flags.duration) request.duration = pcfdemo::ParseCpuLoadDuration(*flags.duration);
  } catch (const pcfdemo::InvalidCpuLoadRequest& e) {
    std::cerr << "pcfdemo-worker cpu: " << e.what() << "\n";
    return 2;
  }

  pcfdemo::Config config;
  try {
    config = pcfdemo::LoadConfig(flags.rest, pcfdemo::ProcessEnvironment());
  } catch (const pcfdemo::ConfigError& e) {
    std::cerr << "pcfdemo-worker cpu: " << e.what() << "\n";
    return 2;
  }

  if (flags.target || flags.duration) {
    return BurnDirectly(request, threads > 0 ? threads : pcfdemo::UsableCpus(), config.log_format);
  }
  if (config.standalone()) {
    std::cerr << "pcfdemo-worker cpu: following the CPU load switch needs --memcached "
                 "HOST:PORT (or PCFDEMO_MEMCACHED); to burn without a store give --target "
                 "PERCENT [--threads K] [--duration SECONDS]\n";
    return 2;
  }
  return FollowSwitch(config, threads);
}
