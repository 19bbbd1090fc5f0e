// A KeyValueStore in this process's memory, for standalone mode and tests. Honours time
// to live through the injected clock. Thread-safe.
#pragma once

#include <map>
#include <memory>
#include <mutex>

#include "pcfdemo/clock.h"
#include "pcfdemo/key_value_store.h"

namespace pcfdemo {

class InMemoryKeyValueStore : public KeyValueStore {
 public:
  // `clock` must outlive the store; nullptr means the system clock.
  explicit InMemoryKeyValueStore(Clock* clock = nullptr);

  std::optional<std::string> Get(const std::string& key) override;
  void Set(const std::string& key, const std::string& value, Ttl ttl = Ttl(0)) override;
  bool Add(const std::string& key, const std::string& value, Ttl ttl = Ttl(0)) override;
  bool CompareAndSet(const std::string& key, const std::string& expected, const std::string& value,
                     Ttl ttl = Ttl(0)) override;
  bool Remove(const std::string& key) override;
  void Flush() override;
  std::string Describe() const override { return "memory"; }

 private:
  struct Entry {
    std::string value;
    int64_t expires_micros;  // 0: never
  };

  // REQUIRES: mu_ held. Drops the entry if it has expired; returns it if it is live.
  Entry* FindLive(const std::string& key);
  int64_t ExpiryFor(Ttl ttl);

  Clock* clock_;
  std::mutex mu_;
  std::map<std::string, Entry> entries_;
};

}  // namespace pcfdemo
