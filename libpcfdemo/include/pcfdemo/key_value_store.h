// KeyValueStore is a shared cache of string keys and values with an optional time to live:
// memcached in services mode, memory in standalone mode and tests. The trigger and the CPU
// load switch are built on it, so `Add` and `CompareAndSet` must be atomic across every
// process that shares the store.
//
// Implementations are safe for concurrent access from multiple threads without external
// synchronization. Every method throws BackendError when the store cannot answer (down,
// timed out, credentials refused); a slow store never reads as an absent key.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace pcfdemo {

class KeyValueStore {
 public:
  // A time to live of zero means the entry never expires.
  using Ttl = std::chrono::seconds;

  KeyValueStore() = default;
  KeyValueStore(const KeyValueStore&) = delete;
  KeyValueStore& operator=(const KeyValueStore&) = delete;
  virtual ~KeyValueStore() = default;

  // Returns the value stored under `key`, or nullopt when there is none (or it expired).
  virtual std::optional<std::string> Get(const std::string& key) = 0;

  // Stores `value` under `key`, replacing any previous value.
  virtual void Set(const std::string& key, const std::string& value, Ttl ttl = Ttl(0)) = 0;

  // Stores `value` only if `key` holds nothing. Returns true if this call created the entry,
  // false if one was already there. Atomic: of many concurrent callers exactly one wins.
  virtual bool Add(const std::string& key, const std::string& value, Ttl ttl = Ttl(0)) = 0;

  // Replaces the value of `key` with `value` only if it currently equals `expected`.
  // Returns true if replaced; false if the key is absent or holds another value. Atomic.
  virtual bool CompareAndSet(const std::string& key, const std::string& expected,
                             const std::string& value, Ttl ttl = Ttl(0)) = 0;

  // Removes `key`. Returns true if it existed.
  virtual bool Remove(const std::string& key) = 0;

  // Removes every key in the store.
  virtual void Flush() = 0;

  // A short description for logs and pages, e.g. "memcached 127.0.0.1:11211" or "memory".
  // Never contains credentials.
  virtual std::string Describe() const = 0;
};

}  // namespace pcfdemo
