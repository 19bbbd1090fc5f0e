// Config gathers every setting of pcfdemo-web and pcfdemo-worker from, in order of
// precedence: command-line flags, environment variables, Kubernetes service-binding files
// under SERVICE_BINDING_ROOT, and Cloud Foundry's VCAP_SERVICES / VCAP_APPLICATION.
// Flags and environment variables name the same settings (--port / PORT, --memcached /
// PCFDEMO_MEMCACHED, --database / PCFDEMO_DATABASE_URL, ...).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "pcfdemo/memcached_key_value_store.h"

namespace pcfdemo {

// Bad configuration: the message names the setting and never contains a secret.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Config {
  std::string bind_address = "0.0.0.0";
  int port = 8080;
  int instance_index = 0;   // CF_INSTANCE_INDEX, then INSTANCE_INDEX
  std::string instance_guid;  // CF_INSTANCE_GUID, or generated
  std::string data_dir = "pcfdemo-data";  // standalone SQLite file lives here

  // Empty servers: in-memory store (standalone). Otherwise memcached.
  MemcachedOptions memcached;
  // Empty: sqlite:///<data_dir>/runs.db (standalone).
  std::string database_url;

  // Where calls may go: "host" or "host:port" entries; "*" allows any host. This instance's
  // own host and the application URIs are always allowed.
  std::vector<std::string> allowed_destinations;
  std::string default_destination;  // empty: this instance's own /receiver
  std::vector<std::string> application_uris;  // VCAP_APPLICATION application_uris

  int64_t max_calls = 500;
  int default_concurrency = 8;
  int max_concurrency = 64;
  std::chrono::milliseconds poll_interval{1000};
  std::chrono::milliseconds call_timeout{10000};
  // Request worker's claim on a trigger, renewed every third of it while the run goes on; a
  // worker that dies holds the trigger this long before another marks its run abandoned.
  std::chrono::seconds claim_lease{15};
  std::string log_level = "info";   // debug, info, warn, error
  std::string log_format = "text";  // text or json

  // Workers inside the web process (standalone) or in pcfdemo-worker processes (services).
  bool run_workers_in_process = true;

  bool standalone() const { return memcached.servers.empty(); }
  std::string EffectiveDatabaseUrl() const;
};

// Reads the configuration. `args` are the flags (without the program name and command);
// `env` the environment. Throws ConfigError for an unknown flag, a malformed value or an
// unusable VCAP_SERVICES entry. `--help` is not handled here.
Config LoadConfig(const std::vector<std::string>& args,
                  const std::map<std::string, std::string>& env);

// The environment of this process as a map.
std::map<std::string, std::string> ProcessEnvironment();

// Usage text listing every flag with its environment variable.
std::string ConfigUsage();

}  // namespace pcfdemo
