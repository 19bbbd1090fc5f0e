// App holds what pcfdemo-web's handlers work with: the configuration, the wired adapters
// (key-value store, run repository, trigger store, receiver, HTTP client), the workers
// running inside this process, the readiness state and the metrics. main.cc builds it once;
// handlers get a reference and never own anything in it.
//
// The pointers are set before the server starts and never change afterwards, so handlers
// on any thread may read them without a lock. The objects they point to are thread-safe.
#pragma once

#include <pistache/http_defs.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "logger.h"
#include "pcfdemo/clock.h"
#include "pcfdemo/config.h"
#include "pcfdemo/cpu_load_worker.h"
#include "pcfdemo/deferred_run_repository.h"
#include "pcfdemo/http_client.h"
#include "pcfdemo/key_value_store.h"
#include "pcfdemo/receiver.h"
#include "pcfdemo/request_worker.h"
#include "pcfdemo/run_request_validation.h"
#include "pcfdemo/trigger_store.h"
#include "web_metrics.h"

namespace pcfdemo::web {

// What the last probe of the backends found; readiness and /metrics read it.
struct BackendHealth {
  std::atomic<bool> store_up{false};
  std::atomic<bool> runs_up{false};
  std::atomic<bool> forced_unready{false};  // POST /readyz/disable

  std::mutex mu;  // guards the reasons
  std::string store_reason;
  std::string runs_reason;
};

struct App {
  Config config;
  std::string version;
  std::string instance;   // "<index>/<first 8 of guid>", sent in kInstanceHeader
  std::string host_name;  // this machine's host name
  int64_t started_at_ms = 0;
  Clock* clock = nullptr;
  std::unique_ptr<Logger> log;

  std::unique_ptr<KeyValueStore> store;
  std::unique_ptr<DeferredRunRepository> runs;
  std::unique_ptr<TriggerStore> triggers;
  std::unique_ptr<Receiver> receiver;
  Strategy receiver_default_strategy = Strategy::kReadModifyWrite;
  std::unique_ptr<HttpClient> http_client;

  // Null unless the workers run inside this process.
  std::unique_ptr<RequestWorker> request_worker;
  std::unique_ptr<CpuLoadWorker> cpu_load_worker;

  RunRequestPolicy run_policy;
  std::atomic<int64_t> cpu_load_duration_s{0};  // last duration set through this instance

  BackendHealth health;
  WebMetrics metrics;

  // Every mounted path with its methods, filled while routes are mounted (MountRoute) and
  // read once by SetFallbackRoutes; not touched while serving.
  std::map<std::string, std::vector<Pistache::Http::Method>> methods_by_path;

  const char* mode() const { return config.standalone() ? "standalone" : "services"; }
};

// Asks both backends one cheap question each, records the answer in app.health and logs
// one line when a backend is lost or comes back. Never throws.
void ProbeBackends(App& app);

}  // namespace pcfdemo::web
