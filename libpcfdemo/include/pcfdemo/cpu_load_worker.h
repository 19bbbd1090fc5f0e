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
  ~CpuLoadWorker();

  // Reads the switch once and starts, retargets or stops the burner accordingly.
  // Throws BackendError when the store cannot answer (the burner is then stopped).
  void Step();

  // Calls Step every poll interval until Stop(); backend errors are logged and retried.
  void Loop();
  void Stop();

  // Utilisation the burner achieved recently, in percent of one thread; 0 when idle.
  double achieved_percent() const;
  bool burning() const;

 private:
  TriggerStore* triggers_;
  Clock* clock_;
  const CpuLoadWorkerOptions options_;
  std::function<void(const std::string&)> log_;
  std::unique_ptr<CpuBurner> burner_;
  std::atomic<bool> stop_{false};
};

}  // namespace pcfdemo
