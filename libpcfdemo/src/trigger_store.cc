#include "pcfdemo/trigger_store.h"

#include <charconv>
#include <sstream>

#include "pcfdemo/clock.h"

namespace pcfdemo {
namespace {

constexpr char kTrue[] = "True";
constexpr char kFalse[] = "False";
constexpr int kCasAttempts = 16;
// How long a trigger lives while its parameters are being written.
constexpr KeyValueStore::Ttl kUnfinishedTriggerTtl(60);

std::optional<int64_t> ParseInt(const std::optional<std::string>& text) {
  if (!text || text->empty()) return std::nullopt;
  int64_t value = 0;
  const char* end = text->data() + text->size();
  auto [ptr, ec] = std::from_chars(text->data(), end, value);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

std::vector<std::string> SplitIds(const std::string& text) {
  std::vector<std::string> ids;
  std::stringstream stream(text);
  std::string id;
  while (std::getline(stream, id, ',')) {
    if (!id.empty()) ids.push_back(id);
  }
  return ids;
}

std::string JoinIds(const std::vector<std::string>& ids) {
  std::string text;
  for (const std::string& id : ids) {
    if (!text.empty()) text += ',';
    text += id;
  }
  return text;
}

}  // namespace

TriggerStore::TriggerStore(KeyValueStore* store, Clock* clock) : store_(store), clock_(clock) {}

bool TriggerStore::TryTrigger(const RunRequest& request) {
  // Taken with a time to live first, so a trigger whose parameters never got written (the
  // store failed halfway) frees itself instead of blocking every later run.
  bool taken = store_->Add(kWorkInProgressKey, kTrue, kUnfinishedTriggerTtl);
  for (int attempt = 0; !taken && attempt < kCasAttempts; ++attempt) {
    // The original leaves "False" behind after a run; take the trigger from that state.
    std::optional<std::string> state = store_->Get(kWorkInProgressKey);
    if (state && *state != kFalse) return false;
    taken = state ? store_->CompareAndSet(kWorkInProgressKey, kFalse, kTrue, kUnfinishedTriggerTtl)
                  : store_->Add(kWorkInProgressKey, kTrue, kUnfinishedTriggerTtl);
  }
  if (!taken) return false;

  // Strategy and concurrency first: a readable destination means the trigger is complete.
  store_->Set(kStrategyKey, std::string(StrategyName(request.strategy)));
  store_->Set(kConcurrencyKey, std::to_string(request.concurrency));
  store_->Set(kAmountOfCallsKey, std::to_string(request.calls));
  store_->Set(kDestinationUrlKey, request.destination);

  // Complete: the flag now lasts until the run ends, unless a worker already ran the trigger
  // and set it to "False" (then the compare fails, as it should).
  store_->CompareAndSet(kWorkInProgressKey, kTrue, kTrue);
  return true;
}

std::optional<Trigger> TriggerStore::Current() {
  std::optional<std::string> state = store_->Get(kWorkInProgressKey);
  if (!state || *state != kTrue) return std::nullopt;

  Trigger trigger;
  trigger.request.calls = ParseInt(store_->Get(kAmountOfCallsKey)).value_or(0);
  trigger.request.destination = store_->Get(kDestinationUrlKey).value_or("");
  // A trigger set by the original web app names no strategy: it counted read-modify-write.
  std::optional<std::string> strategy = store_->Get(kStrategyKey);
  trigger.request.strategy =
      ParseStrategy(strategy.value_or("")).value_or(Strategy::kReadModifyWrite);
  int64_t concurrency = ParseInt(store_->Get(kConcurrencyKey)).value_or(8);
  trigger.request.concurrency = static_cast<int>(concurrency > 0 ? concurrency : 8);
  trigger.run_timestamp = ParseInt(store_->Get(kRunKey));
  trigger.claimed_by = store_->Get(kClaimKey).value_or("");
  return trigger;
}

bool TriggerStore::IsComplete(const Trigger& trigger) {
  return trigger.request.calls > 0 && !trigger.request.destination.empty();
}

bool TriggerStore::Claim(const std::string& worker_id, KeyValueStore::Ttl lease) {
  std::optional<Trigger> trigger = Current();
  if (!trigger || !IsComplete(*trigger)) return false;
  return store_->Add(kClaimKey, worker_id, lease);
}

bool TriggerStore::RenewClaim(const std::string& worker_id, KeyValueStore::Ttl lease) {
  return store_->CompareAndSet(kClaimKey, worker_id, worker_id, lease);
}

void TriggerStore::ReleaseClaim(const std::string& worker_id) {
  std::optional<std::string> holder = store_->Get(kClaimKey);
  if (holder && *holder == worker_id) store_->Remove(kClaimKey);
}

void TriggerStore::RecordRun(int64_t timestamp) {
  store_->Set(kRunKey, std::to_string(timestamp));
}

void TriggerStore::Clear() {
  // Parameters before the flag, so a new trigger can never lose its freshly written ones.
  store_->Remove(kDestinationUrlKey);
  store_->Remove(kAmountOfCallsKey);
  store_->Remove(kStrategyKey);
  store_->Remove(kConcurrencyKey);
  store_->Remove(kRunKey);
  store_->Set(kWorkInProgressKey, kFalse);
  store_->Remove(kClaimKey);
}

void TriggerStore::Flush() {
  store_->Flush();
}

void TriggerStore::SetCpuLoad(bool on, int target_percent, std::chrono::seconds duration) {
  if (!on) {
    store_->Set(kCpuLoadKey, "OFF");
    store_->Remove(kCpuTargetKey);
    store_->Remove(kCpuExpiresKey);
    return;
  }
  int64_t expires_at = clock_->NowSeconds() + duration.count();
  store_->Set(kCpuTargetKey, std::to_string(target_percent), duration);
  store_->Set(kCpuExpiresKey, std::to_string(expires_at), duration);
  store_->Set(kCpuLoadKey, "ON", duration);  // last: ON only once its target is readable
}

CpuLoadState TriggerStore::GetCpuLoad() {
  CpuLoadState state;
  std::optional<std::string> value = store_->Get(kCpuLoadKey);
  if (!value || *value != "ON") return state;

  // An ON written by the original carries no target: it burned flat out.
  int64_t target = ParseInt(store_->Get(kCpuTargetKey)).value_or(100);
  state.target_percent = static_cast<int>(target >= 1 && target <= 100 ? target : 100);
  state.expires_at_s = ParseInt(store_->Get(kCpuExpiresKey)).value_or(0);
  state.on = state.expires_at_s == 0 || state.expires_at_s > clock_->NowSeconds();
  if (!state.on) state.expires_at_s = 0;
  return state;
}

void TriggerStore::ReportBurner(const BurnerReport& report, KeyValueStore::Ttl ttl) {
  std::ostringstream value;
  value << report.achieved_percent << ' ' << report.threads;
  store_->Set(kBurnerKeyPrefix + report.worker, value.str(), ttl);

  for (int attempt = 0; attempt < kCasAttempts; ++attempt) {
    std::optional<std::string> registry = store_->Get(kBurnersKey);
    if (!registry) {
      if (store_->Add(kBurnersKey, report.worker)) return;
      continue;
    }
    std::vector<std::string> ids = SplitIds(*registry);
    for (const std::string& id : ids) {
      if (id == report.worker) return;
    }
    ids.push_back(report.worker);
    if (store_->CompareAndSet(kBurnersKey, *registry, JoinIds(ids))) return;
  }
}

void TriggerStore::RemoveBurner(const std::string& worker) {
  store_->Remove(kBurnerKeyPrefix + worker);
  for (int attempt = 0; attempt < kCasAttempts; ++attempt) {
    std::optional<std::string> registry = store_->Get(kBurnersKey);
    if (!registry) return;
    std::vector<std::string> ids = SplitIds(*registry);
    std::vector<std::string> kept;
    for (const std::string& id : ids) {
      if (id != worker) kept.push_back(id);
    }
    if (kept.size() == ids.size()) return;
    if (store_->CompareAndSet(kBurnersKey, *registry, JoinIds(kept))) return;
  }
}

std::vector<BurnerReport> TriggerStore::Burners() {
  std::vector<BurnerReport> burners;
  std::optional<std::string> registry = store_->Get(kBurnersKey);
  if (!registry) return burners;

  std::vector<std::string> live;
  for (const std::string& id : SplitIds(*registry)) {
    std::optional<std::string> heartbeat = store_->Get(kBurnerKeyPrefix + id);
    if (!heartbeat) continue;
    BurnerReport report;
    report.worker = id;
    std::istringstream fields(*heartbeat);
    fields >> report.achieved_percent >> report.threads;
    burners.push_back(report);
    live.push_back(id);
  }
  // Forget workers whose heartbeat expired; losing this race only delays the cleanup.
  if (live.size() != SplitIds(*registry).size()) {
    store_->CompareAndSet(kBurnersKey, *registry, JoinIds(live));
  }
  return burners;
}

}  // namespace pcfdemo
