// pcfdemo-web: the web front end. Reads the configuration, wires the adapters it names
// (memory or memcached for triggers, SQLite, MySQL or memory for runs), starts the workers
// that run inside this process, serves the routes and pages, and stops cleanly on SIGTERM
// or SIGINT. Exit status: 0 after a clean stop, 1 when the port cannot be served, 2 for a
// bad configuration.
#include <pistache/endpoint.h>
#include <pistache/router.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <filesystem>
#include <iostream>
#include <thread>

#include "app.h"
#include "pages.h"
#include "pcfdemo/backend_error.h"
#include "pcfdemo/curl_http_client.h"
#include "pcfdemo/database_url.h"
#include "pcfdemo/in_memory_key_value_store.h"
#include "pcfdemo/memcached_key_value_store.h"
#include "pcfdemo/sql_run_repository.h"
#include "routes.h"
#include "serving_handler.h"

#ifndef PCFDEMO_VERSION
#define PCFDEMO_VERSION "0.0.0"
#endif

namespace pcfdemo::web {
namespace {

constexpr std::chrono::seconds kBackendProbeInterval{5};

// The password of a database URL as written (possibly percent-encoded), or "".
std::string RawUrlPassword(const std::string& url) {
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return "";
  size_t start = scheme_end + 3;
  size_t at = url.find('@', start);
  if (at == std::string::npos) return "";
  size_t colon = url.find(':', start);
  if (colon == std::string::npos || colon > at) return "";
  return url.substr(colon + 1, at - colon - 1);
}

std::string HostName() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0) return "unknown";
  return name;
}

// Repeats ProbeBackends until stopped, so a backend that is lost or comes back is logged
// (and shown in /metrics) even when nobody asks /readyz.
class BackendMonitor {
 public:
  explicit BackendMonitor(App& app) : app_(app), thread_([this] { Loop(); }) {}

  ~BackendMonitor() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }

 private:
  void Loop() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stop_) {
      lock.unlock();
      ProbeBackends(app_);
      lock.lock();
      wake_.wait_for(lock, kBackendProbeInterval, [this] { return stop_; });
    }
  }

  App& app_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

int Serve(const std::vector<std::string>& args) {
  App app;
  try {
    app.config = LoadConfig(args, ProcessEnvironment());
  } catch (const ConfigError& e) {
    std::cerr << "pcfdemo-web: " << e.what() << "\n";
    return 2;
  }
  const Config& config = app.config;

  std::string database_url = config.EffectiveDatabaseUrl();
  DatabaseUrl database;
  try {
    database = ParseDatabaseUrl(database_url);
  } catch (const std::invalid_argument& e) {
    std::cerr << "pcfdemo-web: --database: " << e.what() << "\n";
    return 2;
  }

  app.version = PCFDEMO_VERSION;
  app.clock = SystemClock();
  app.started_at_ms = app.clock->NowMicros() / 1000;
  app.host_name = HostName();
  app.instance = std::to_string(config.instance_index) + "/" + config.instance_guid.substr(0, 8);
  app.log = std::make_unique<Logger>(
      config.log_level, config.log_format,
      std::vector<std::string>{config.memcached.password, database.password,
                               RawUrlPassword(database_url)});

  if (config.standalone()) {
    app.store = std::make_unique<InMemoryKeyValueStore>(app.clock);
  } else {
    try {
      app.store = NewMemcachedKeyValueStore(config.memcached);
    } catch (const BackendError& e) {
      std::cerr << "pcfdemo-web: --memcached: " << app.log->Scrub(e.what()) << "\n";
      return 2;
    }
  }

  if (database.kind == DatabaseUrl::Kind::kSqlite) {
    std::error_code error;
    std::filesystem::create_directories(std::filesystem::path(database.path).parent_path(), error);
    if (error) {
      app.log->Warn("cannot create the directory of " + database.path + ": " + error.message());
    }
  }
  app.runs = std::make_unique<DeferredRunRepository>(
      [database_url] { return OpenRunRepository(database_url); }, database.Describe(), app.clock);
  if (!app.runs->TryOpen()) {
    app.log->Warn("run repository " + database.Describe() +
                  " is not reachable yet, retrying: " + app.log->Scrub(app.runs->last_error()));
  }

  app.triggers = std::make_unique<TriggerStore>(app.store.get(), app.clock);
  app.receiver =
      std::make_unique<Receiver>(app.runs.get(), app.instance, app.receiver_default_strategy);
  app.http_client = NewCurlHttpClient();
  app.run_policy = RunRequestPolicyForConfig(config);

  auto worker_log = [&app](const std::string& line) { app.log->Info(line); };
  if (config.run_workers_in_process) {
    RequestWorkerOptions request_options;
    request_options.worker_id = app.instance + "@" + app.host_name;
    request_options.poll_interval = config.poll_interval;
    request_options.call_timeout = config.call_timeout;
    request_options.lease = config.claim_lease;
    request_options.sole_worker = config.standalone();
    app.request_worker =
        std::make_unique<RequestWorker>(app.triggers.get(), app.runs.get(), app.http_client.get(),
                                        app.clock, request_options, worker_log);
    CpuLoadWorkerOptions cpu_options;
    cpu_options.worker_id = app.instance + "@" + app.host_name;
    cpu_options.poll_interval = config.poll_interval;
    app.cpu_load_worker =
        std::make_unique<CpuLoadWorker>(app.triggers.get(), app.clock, cpu_options, worker_log);
  }

  auto router = std::make_shared<Pistache::Rest::Router>();
  DirectRoute receiver = RegisterReceiver(*router, app);
  RegisterHealth(*router, app);
  RegisterInstance(*router, app);
  RegisterRuns(*router, app);
  RegisterCpuLoad(*router, app);
  RegisterTriggerStoreFlush(*router, app);
  RegisterMetrics(*router, app);
  RegisterPages(*router, app);
  SetFallbackRoutes(*router, app);

  int threads = std::max(2, static_cast<int>(std::thread::hardware_concurrency()));
  Pistache::Address address;
  try {
    address =
        Pistache::Address(config.bind_address, Pistache::Port(static_cast<uint16_t>(config.port)));
  } catch (const std::exception& e) {
    std::cerr << "pcfdemo-web: --bind: cannot listen on \"" << config.bind_address
              << "\": " << e.what() << "\n";
    return 2;
  }
  Pistache::Http::Endpoint endpoint(address);
  endpoint.init(Pistache::Http::Endpoint::options()
                    .threads(threads)
                    .flags(Pistache::Tcp::Options::ReuseAddr)
                    .maxRequestSize(64 * 1024)
                    .keepaliveTimeout(std::chrono::seconds(60)));
  endpoint.setHandler(std::make_shared<ServingHandler>(router, std::move(receiver)));
  try {
    endpoint.serveThreaded();
  } catch (const std::exception& e) {
    app.log->Error("cannot serve on " + config.bind_address + ":" + std::to_string(config.port) +
                   ": " + e.what());
    return 1;
  }

  ProbeBackends(app);
  app.log->Info("pcfdemo-web " + app.version + " listening on " + config.bind_address + ":" +
                std::to_string(config.port) + " instance=" + app.instance + " mode=" + app.mode() +
                " store=" + app.store->Describe() + " runs=" + app.runs->Describe() +
                " workers=" + (config.run_workers_in_process ? "in-process" : "none") +
                " threads=" + std::to_string(threads));

  std::thread request_thread;
  std::thread cpu_thread;
  if (app.request_worker) request_thread = std::thread([&app] { app.request_worker->Loop(); });
  if (app.cpu_load_worker) cpu_thread = std::thread([&app] { app.cpu_load_worker->Loop(); });
  auto monitor = std::make_unique<BackendMonitor>(app);

  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  app.log->Info(std::string("stopping on ") + (signal_number == SIGINT ? "SIGINT" : "SIGTERM"));

  // Workers first: a run in progress stops starting calls and its calls in flight can still
  // reach this instance's receiver; the run is recorded with what it made.
  if (app.request_worker) app.request_worker->Stop();
  if (app.cpu_load_worker) app.cpu_load_worker->Stop();
  if (request_thread.joinable()) request_thread.join();
  if (cpu_thread.joinable()) cpu_thread.join();
  monitor.reset();
  endpoint.shutdown();
  app.log->Info("stopped");
  return 0;
}

}  // namespace
}  // namespace pcfdemo::web

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (std::find(args.begin(), args.end(), "--help") != args.end() ||
      std::find(args.begin(), args.end(), "-h") != args.end()) {
    std::cout << "usage: pcfdemo-web [flags]\n\n" << pcfdemo::ConfigUsage();
    return 0;
  }

  // Every thread started from here on inherits the mask, so only sigwait sees the signals.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  return pcfdemo::web::Serve(args);
}
