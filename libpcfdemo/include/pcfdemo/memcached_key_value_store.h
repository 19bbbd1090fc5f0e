// A KeyValueStore on one or more memcached servers through libmemcached: binary protocol,
// optional SASL credentials, explicit timeouts. A timeout or an unreachable server throws
// BackendError; it never reads as an absent key. Thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "pcfdemo/key_value_store.h"

namespace pcfdemo {

struct MemcachedOptions {
  std::vector<std::string> servers;  // "host:port" each; port 11211 when omitted
  std::string username;              // SASL; empty for none
  std::string password;
  int connect_timeout_ms = 1000;
  int poll_timeout_ms = 1000;
  int retry_timeout_s = 1;  // how soon a server marked dead is tried again
};

// Throws BackendError if the options cannot be used (no server, bad address).
std::unique_ptr<KeyValueStore> NewMemcachedKeyValueStore(const MemcachedOptions& options);

}  // namespace pcfdemo
