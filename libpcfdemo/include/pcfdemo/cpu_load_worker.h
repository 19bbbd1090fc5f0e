// CpuLoadWorker follows the CPU load switch in the TriggerStore and drives a CpuBurner:
// while the switch is ON it burns at the switch's target and reports a heartbeat so pages
// can list who burns; when the switch turns OFF or expires it stops within one poll.
//
// Loop() runs on one thread; Stop() may be called from any.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "pcfdemo/clock.h"
#include "pcfdemo/key_value_store.h"
#include "pcfdemo/trigger_store.h"

namespace pcfdemo {

class CpuBurner;

struct CpuLoadWorkerOptions {
  std::string worker_id;                          // unique among burners sharing the store
  std::chrono::milliseconds poll_interval{1000};  // how often the switch is read
  int threads = 0;                                // 0: the CPUs this process may use
};

class CpuLoadWorker {
 public:
  // All pointers must outlive the worker. `log` gets one line per state change.
  CpuLoadWorker(TriggerStore* triggers, Clock* clock, CpuLoadWorkerOptions options,
                std::function<void(const std::string&)> log = {});

  // As above, burning with `burner` (e.g. one built on a test clock and CPU-time source).
  // REQUIRES: burner != nullptr.
  CpuLoadWorker(TriggerStore* triggers, Clock* clock, CpuLoadWorkerOptions options,
                std::unique_ptr<CpuBurner> burner,
                std::function<void(const std::string&)> log = {});

  CpuLoadWorker(const CpuLoadWorker&) = delete;
  CpuLoadWorker& operator=(const CpuLoadWorker&) = delete;

  // Stops the burner; the heartbeat is left to expire by its time to live.
  ~CpuLoadWorker();

  // Reads the switch once and starts, retargets or stops the burner accordingly.
  // Throws BackendError when the store cannot answer (the burner is then stopped).
  void Step();

  // Calls Step every poll interval until Stop(); backend errors are logged and retried.
  // On return the burner is stopped and the heartbeat removed (if the store answers).
  void Loop();

  // Makes Loop return within about 100 ms (and one slice of the burner). Callable from
  // any thread, including before Loop starts.
  void Stop();

  // Utilisation the burner achieved recently, in percent of one thread; 0 when idle.
  double achieved_percent() const;
  bool burning() const;

  // Threads burning now (0 when idle) and the target they hold.
  int threads() const;
  int target_percent() const;

  // Time to live of the heartbeat: three poll intervals, at least 3 s.
  KeyValueStore::Ttl heartbeat_ttl() const;

 private:
  TriggerStore* triggers_;
  Clock* clock_;
  const CpuLoadWorkerOptions options_;
  std::function<void(const std::string&)> log_;
  std::unique_ptr<CpuBurner> burner_;
  std::atomic<bool> stop_{false};
  // Touched by the thread running Step/Loop only.
  int64_t burning_since_s_ = 0;
  int64_t burning_until_s_ = 0;  // expiry of the ON being followed; 0: none
};

}  // namespace pcfdemo
