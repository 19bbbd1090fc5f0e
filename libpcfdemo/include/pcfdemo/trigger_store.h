// TriggerStore is the coordination state shared by web instances and workers, kept in a
// KeyValueStore under the original demo's keys (so its web app and workers can share the
// store) plus keys of pcfdemo's own, all prefixed "pcfdemo.":
//
//   workInProgress  "True"/"False"  a request run is pending or running; taken atomically
//   amountOfCalls   decimal         calls to make
//   destinationURL  http(s) URL     where the calls go
//   CPULoad         "ON"/"OFF"      the CPU load switch; ON carries a time to live
//
// The trigger is taken with Add (or a compare-and-set from "False"), never check-then-set,
// so of many concurrent triggers exactly one wins. Its parameters are then written in a fixed
// order (strategy and concurrency first, the original's amountOfCalls and destinationURL
// last), so a trigger whose destination is readable is complete. A worker claims a pending trigger
// with a lease that it renews while the run goes on; a claim whose worker died frees itself.
//
// Thread-safe when the underlying store is. Methods throw BackendError when it is down.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pcfdemo/key_value_store.h"
#include "pcfdemo/strategy.h"

namespace pcfdemo {

// What a user asked for when triggering a request run.
struct RunRequest {
  int64_t calls = 0;
  std::string destination;  // absolute http(s) URL of a receiver
  Strategy strategy = Strategy::kAtomic;
  int concurrency = 8;
};

// A trigger that is pending (no run yet) or running (a worker created run `run_timestamp`).
struct Trigger {
  RunRequest request;
  std::optional<int64_t> run_timestamp;
  std::string claimed_by;  // worker id holding the claim; empty when unclaimed
};

struct CpuLoadState {
  bool on = false;
  int target_percent = 100;
  int64_t expires_at_s = 0;  // epoch seconds when ON ends by itself; 0 when OFF
};

struct BurnerReport {
  std::string worker;
  double achieved_percent = 0;  // utilisation the worker measured, per burning thread
  int threads = 0;
};

class TriggerStore {
 public:
  static constexpr char kWorkInProgressKey[] = "workInProgress";
  static constexpr char kAmountOfCallsKey[] = "amountOfCalls";
  static constexpr char kDestinationUrlKey[] = "destinationURL";
  static constexpr char kCpuLoadKey[] = "CPULoad";
  static constexpr char kStrategyKey[] = "pcfdemo.strategy";
  static constexpr char kConcurrencyKey[] = "pcfdemo.concurrency";
  static constexpr char kClaimKey[] = "pcfdemo.claim";
  static constexpr char kRunKey[] = "pcfdemo.run";
  static constexpr char kCpuTargetKey[] = "pcfdemo.cpuTarget";
  static constexpr char kCpuExpiresKey[] = "pcfdemo.cpuExpiresAt";
  static constexpr char kBurnersKey[] = "pcfdemo.burners";
  static constexpr char kBurnerKeyPrefix[] = "pcfdemo.burner.";

  // `store` and `clock` must outlive this object.
  TriggerStore(KeyValueStore* store, class Clock* clock);

  // --- request-run trigger ---

  // Sets the trigger for `request` unless a run is pending or running. Returns false when
  // busy; the trigger already there is left untouched.
  bool TryTrigger(const RunRequest& request);

  // The pending or running trigger, or nullopt when idle. A trigger whose parameters are
  // not all written yet reads as pending with what is known.
  std::optional<Trigger> Current();

  // True when every parameter of `trigger` is written and usable.
  static bool IsComplete(const Trigger& trigger);

  // Worker side: takes the claim on the pending trigger for `worker_id` with a lease.
  // Returns false if no complete trigger is pending or another worker holds the claim.
  bool Claim(const std::string& worker_id, KeyValueStore::Ttl lease);

  // Extends the claim of `worker_id`. Returns false if the claim is no longer its own.
  bool RenewClaim(const std::string& worker_id, KeyValueStore::Ttl lease);

  // Gives up the claim of `worker_id` without touching the trigger.
  void ReleaseClaim(const std::string& worker_id);

  // Records that the claimed trigger's run was created with this timestamp.
  void RecordRun(int64_t timestamp);

  // Ends the trigger: workInProgress becomes "False" (as the original wrote it), the
  // parameters, the run and the claim are removed.
  void Clear();

  // Removes every key of the store (the operator's "flush").
  void Flush();

  // --- CPU load switch ---

  // ON with a target and a duration after which it turns OFF by itself; or OFF.
  // REQUIRES: 1 <= target_percent <= 100, duration > 0 when on.
  void SetCpuLoad(bool on, int target_percent, std::chrono::seconds duration);
  CpuLoadState GetCpuLoad();

  // Heartbeat of a burning worker, valid for `ttl`. Burners() lists the live ones.
  void ReportBurner(const BurnerReport& report, KeyValueStore::Ttl ttl);
  void RemoveBurner(const std::string& worker);
  std::vector<BurnerReport> Burners();

 private:
  KeyValueStore* store_;
  class Clock* clock_;
};

}  // namespace pcfdemo
