#include "pcfdemo/in_memory_key_value_store.h"

namespace pcfdemo {

InMemoryKeyValueStore::InMemoryKeyValueStore(Clock* clock)
    : clock_(clock != nullptr ? clock : SystemClock()) {}

int64_t InMemoryKeyValueStore::ExpiryFor(Ttl ttl) {
  if (ttl.count() <= 0) return 0;
  return clock_->NowMicros() + ttl.count() * 1000000;
}

InMemoryKeyValueStore::Entry* InMemoryKeyValueStore::FindLive(const std::string& key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return nullptr;
  if (it->second.expires_micros != 0 && it->second.expires_micros <= clock_->NowMicros()) {
    entries_.erase(it);
    return nullptr;
  }
  return &it->second;
}

std::optional<std::string> InMemoryKeyValueStore::Get(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  Entry* entry = FindLive(key);
  if (entry == nullptr) return std::nullopt;
  return entry->value;
}

void InMemoryKeyValueStore::Set(const std::string& key, const std::string& value, Ttl ttl) {
  std::lock_guard<std::mutex> lock(mu_);
  entries_[key] = Entry{value, ExpiryFor(ttl)};
}

bool InMemoryKeyValueStore::Add(const std::string& key, const std::string& value, Ttl ttl) {
  std::lock_guard<std::mutex> lock(mu_);
  if (FindLive(key) != nullptr) return false;
  entries_[key] = Entry{value, ExpiryFor(ttl)};
  return true;
}

bool InMemoryKeyValueStore::CompareAndSet(const std::string& key, const std::string& expected,
                                          const std::string& value, Ttl ttl) {
  std::lock_guard<std::mutex> lock(mu_);
  Entry* entry = FindLive(key);
  if (entry == nullptr || entry->value != expected) return false;
  *entry = Entry{value, ExpiryFor(ttl)};
  return true;
}

bool InMemoryKeyValueStore::Remove(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  if (FindLive(key) == nullptr) return false;
  entries_.erase(key);
  return true;
}

void InMemoryKeyValueStore::Flush() {
  std::lock_guard<std::mutex> lock(mu_);
  entries_.clear();
}

}  // namespace pcfdemo
