// `pcfdemo-worker request`: the request worker as a process of its own, for the services
// mode, where web instances and workers share a memcached and a database. It claims pending
// triggers, makes their calls, records the runs, and on SIGTERM or SIGINT finishes the run in
// progress with the calls made, releases its claim and exits 0.

#include <atomic>
#include <csignal>
#include <exception>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "commands.h"
#include "pcfdemo/backend_error.h"
#include "pcfdemo/clock.h"
#include "pcfdemo/config.h"
#include "pcfdemo/curl_http_client.h"
#include "pcfdemo/database_url.h"
#include "pcfdemo/deferred_run_repository.h"
#include "pcfdemo/memcached_key_value_store.h"
#include "pcfdemo/redaction.h"
#include "pcfdemo/request_worker.h"
#include "pcfdemo/sql_run_repository.h"
#include "pcfdemo/trigger_store.h"
#include "worker_process.h"

namespace {

constexpr char kComponent[] = "request-worker";

constexpr char kUsage[] =
    "usage: pcfdemo-worker request [flags]\n"
    "\n"
    "Claims request-run triggers from the shared memcached, makes their calls and records\n"
    "the runs in the shared database until SIGTERM or SIGINT. Needs --memcached (or\n"
    "PCFDEMO_MEMCACHED): without a shared store there is no trigger to claim.\n"
    "\n"
    "flags (each also read from its environment variable):\n";

// The backends in words for the start line: servers and whether SASL is on, the database
// with its password hidden. No credential appears.
std::string DescribeBackends(const pcfdemo::Config& config) {
  std::string servers;
  for (const std::string& server : config.memcached.servers) {
    servers += (servers.empty() ? "" : ",") + server;
  }
  std::string text = "memcached " + servers;
  text += config.memcached.username.empty() ? " (no SASL)" : " (SASL)";
  text += ", database " + pcfdemo::RedactDatabaseUrl(config.EffectiveDatabaseUrl());
  return text;
}

bool AsksForHelp(const std::vector<std::string>& args) {
  for (const std::string& arg : args) {
    if (arg == "--help" || arg == "-h") return true;
  }
  return false;
}

}  // namespace

int RunRequestCommand(const std::vector<std::string>& args) {
  if (AsksForHelp(args)) {
    std::cout << kUsage << pcfdemo::ConfigUsage();
    return 0;
  }
  pcfdemo::Config config;
  try {
    config = pcfdemo::LoadConfig(args, pcfdemo::ProcessEnvironment());
  } catch (const pcfdemo::ConfigError& e) {
    std::cerr << "pcfdemo-worker request: " << e.what() << "\n";
    return 2;
  }
  if (config.standalone()) {
    std::cerr << "pcfdemo-worker request: needs --memcached HOST:PORT (or PCFDEMO_MEMCACHED): "
                 "a separate worker only sees triggers in a shared memcached\n";
    return 2;
  }

  const std::string worker_id = pcfdemo::worker::NewWorkerId();
  const std::string format = config.log_format;
  auto log = [&format](const std::string& message) {
    // The worker's lines name no level; a backend that stops answering is worth a warning.
    std::string text = message;
    const std::string kPrefix = "request worker: ";
    if (text.rfind(kPrefix, 0) == 0) text.erase(0, kPrefix.size());
    bool trouble =
        text.find("unavailable") != std::string::npos || text.find("failed:") != std::string::npos;
    pcfdemo::worker::LogLine(format, trouble ? "warn" : "info", kComponent, text);
  };

  // Signals first, before any thread exists, so that every thread leaves them to the waiter.
  std::atomic<bool> stop_requested{false};
  std::atomic<pcfdemo::RequestWorker*> running{nullptr};
  pcfdemo::worker::TerminationSignals signals([&](int signal) {
    stop_requested = true;
    log(pcfdemo::worker::StoppingMessage(worker_id, signal));
    if (pcfdemo::RequestWorker* worker = running.load()) worker->Stop();
  });

  const std::string database_url = config.EffectiveDatabaseUrl();
  pcfdemo::DatabaseUrl database;
  try {
    database = pcfdemo::ParseDatabaseUrl(database_url);
  } catch (const std::invalid_argument& e) {
    std::cerr << "pcfdemo-worker request: --database: " << e.what() << "\n";
    return 2;
  }

  std::unique_ptr<pcfdemo::KeyValueStore> store;
  try {
    store = pcfdemo::NewMemcachedKeyValueStore(config.memcached);
  } catch (const pcfdemo::BackendError& e) {
    pcfdemo::worker::LogLine(format, "error", kComponent, std::string("cannot start: ") + e.what());
    return 1;
  }
  // A database that is down at startup is waited for, as the web does: the repository
  // opens on first use and, until then, every call fails at once and the worker retries.
  auto runs = std::make_unique<pcfdemo::DeferredRunRepository>(
      [database_url] { return pcfdemo::OpenRunRepository(database_url); }, database.Describe());
  if (!runs->TryOpen()) {
    std::string reason =
        pcfdemo::RedactText(pcfdemo::ReplaceSecretTokens(runs->last_error(), database.password));
    pcfdemo::worker::LogLine(
        format, "warn", kComponent,
        "run repository " + database.Describe() + " is not reachable yet, retrying: " + reason);
  }
  pcfdemo::TriggerStore triggers(store.get(), pcfdemo::SystemClock());
  auto client = pcfdemo::NewCurlHttpClient();

  pcfdemo::RequestWorkerOptions options;
  options.worker_id = worker_id;
  options.poll_interval = config.poll_interval;
  options.call_timeout = config.call_timeout;
  options.lease = config.claim_lease;
  pcfdemo::RequestWorker worker(&triggers, runs.get(), client.get(), pcfdemo::SystemClock(),
                                options, log);

  log("worker " + worker_id + " started: " + DescribeBackends(config) + ", polling every " +
      std::to_string(config.poll_interval.count()) + " ms, call timeout " +
      std::to_string(config.call_timeout.count()) + " ms, claim lease " +
      std::to_string(config.claim_lease.count()) + " s");
  running = &worker;
  if (stop_requested.load()) worker.Stop();  // a signal arrived while starting up

  try {
    worker.Loop();
  } catch (const std::exception& e) {
    running = nullptr;
    pcfdemo::worker::LogLine(format, "error", kComponent,
                             "worker " + worker_id + " failed: " + e.what());
    return 1;
  }
  running = nullptr;
  log("worker " + worker_id + " stopped");
  return 0;
}
