// KeyValueStore on memcached through libmemcached.
//
// One configured handle is the template; a libmemcached pool clones it, and each call borrows
// one clone for its duration, so threads never share a connection. Every libmemcached result
// other than success and the few that mean "absent" or "not stored" becomes a BackendError:
// a dead or slow server is never mistaken for a missing key.

#include "pcfdemo/memcached_key_value_store.h"

#include <libmemcached/memcached.h>
#include <libmemcachedutil-1.0/pool.h>
#include <sasl/sasl.h>

#include <cctype>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <mutex>
#include <sstream>
#include <stdexcept>

#include "pcfdemo/backend_error.h"

namespace pcfdemo {
namespace {

constexpr const char* kBackend = "memcached";
constexpr uint32_t kFlags = 0;  // plain strings, as the original demo's clients store them
constexpr uint32_t kInitialHandles = 2;
constexpr uint32_t kMaxHandles = 64;
constexpr int kBorrowTimeoutSeconds = 5;
// Concurrent writers can make a compare-and-set's check-then-swap lose its race; it reads
// again this many times before reporting that the value differs.
constexpr int kCompareAndSetAttempts = 16;
// memcached keys: at most 250 bytes, no spaces or control characters (the text protocol,
// which other clients of the same cache may use, cannot carry them).
constexpr size_t kMaxKeyLength = 250;

void CheckKey(const std::string& key) {
  if (key.empty() || key.size() > kMaxKeyLength) {
    throw std::invalid_argument("memcached key must be 1 to 250 bytes long");
  }
  for (unsigned char c : key) {
    if (c <= ' ' || c == 0x7f) {
      throw std::invalid_argument("memcached key must not contain spaces or control characters");
    }
  }
}

// memcached stores an expiry of up to 30 days as a relative number of seconds; anything
// longer is read as an absolute Unix time.
time_t Expiration(KeyValueStore::Ttl ttl) {
  constexpr int64_t kMaxRelative = 60 * 60 * 24 * 30;
  int64_t seconds = ttl.count();
  if (seconds <= 0) return 0;
  if (seconds <= kMaxRelative) return static_cast<time_t>(seconds);
  return std::time(nullptr) + static_cast<time_t>(seconds);
}

// Splits "host:port" or "[v6]:port" (as Config normalises them) into its parts.
void SplitServer(const std::string& server, std::string* host, in_port_t* port) {
  std::string port_text;
  if (!server.empty() && server[0] == '[') {
    size_t close = server.find(']');
    if (close == std::string::npos) throw BackendError(kBackend, "bad server address");
    *host = server.substr(1, close - 1);
    if (close + 1 < server.size() && server[close + 1] == ':') port_text = server.substr(close + 2);
  } else {
    size_t colon = server.rfind(':');
    *host = server.substr(0, colon);
    if (colon != std::string::npos) port_text = server.substr(colon + 1);
  }
  *port = 11211;
  if (!port_text.empty()) {
    char* end = nullptr;
    long value = std::strtol(port_text.c_str(), &end, 10);
    if (*end != '\0' || value < 1 || value > 65535) {
      throw BackendError(kBackend, "bad port in server address '" + server + "'");
    }
    *port = static_cast<in_port_t>(value);
  }
  if (host->empty()) throw BackendError(kBackend, "bad server address '" + server + "'");
}

void InitializeSaslOnce() {
  static std::once_flag once;
  static int result = SASL_OK;
  std::call_once(once, [] { result = sasl_client_init(nullptr); });
  if (result != SASL_OK) {
    throw BackendError(kBackend, std::string("cannot initialise SASL: ") +
                                     sasl_errstring(result, nullptr, nullptr));
  }
}

class MemcachedKeyValueStore : public KeyValueStore {
 public:
  explicit MemcachedKeyValueStore(const MemcachedOptions& options) {
    if (options.servers.empty()) throw BackendError(kBackend, "no server configured");
    if (!options.username.empty()) InitializeSaslOnce();

    template_ = memcached_create(nullptr);
    if (template_ == nullptr) throw BackendError(kBackend, "cannot create a client");
    try {
      Configure(options);
    } catch (...) {
      ReleaseTemplate();
      throw;
    }

    pool_ = memcached_pool_create(template_, kInitialHandles, kMaxHandles);
    if (pool_ == nullptr) {
      ReleaseTemplate();
      throw BackendError(kBackend, "cannot create the connection pool");
    }

    std::ostringstream description;
    description << "memcached ";
    for (size_t i = 0; i < options.servers.size(); ++i) {
      description << (i == 0 ? "" : ",") << options.servers[i];
    }
    description << (options.username.empty() ? "" : " (SASL)");
    description_ = description.str();
  }

  ~MemcachedKeyValueStore() override {
    memcached_pool_destroy(pool_);
    ReleaseTemplate();
  }

  std::optional<std::string> Get(const std::string& key) override {
    CheckKey(key);
    Handle handle(pool_);
    size_t length = 0;
    uint32_t flags = 0;
    memcached_return_t rc = MEMCACHED_SUCCESS;
    char* value = memcached_get(handle.get(), key.data(), key.size(), &length, &flags, &rc);
    if (rc == MEMCACHED_SUCCESS) {
      std::string result = value == nullptr ? std::string() : std::string(value, length);
      std::free(value);
      return result;
    }
    std::free(value);
    if (rc == MEMCACHED_NOTFOUND) return std::nullopt;
    throw Failure(handle.get(), "get", rc, key);
  }

  void Set(const std::string& key, const std::string& value, Ttl ttl) override {
    CheckKey(key);
    Handle handle(pool_);
    memcached_return_t rc = memcached_set(handle.get(), key.data(), key.size(), value.data(),
                                          value.size(), Expiration(ttl), kFlags);
    if (rc != MEMCACHED_SUCCESS) throw Failure(handle.get(), "set", rc, key);
  }

  bool Add(const std::string& key, const std::string& value, Ttl ttl) override {
    CheckKey(key);
    Handle handle(pool_);
    memcached_return_t rc = memcached_add(handle.get(), key.data(), key.size(), value.data(),
                                          value.size(), Expiration(ttl), kFlags);
    if (rc == MEMCACHED_SUCCESS) return true;
    if (rc == MEMCACHED_NOTSTORED || rc == MEMCACHED_DATA_EXISTS) return false;
    throw Failure(handle.get(), "add", rc, key);
  }

  bool CompareAndSet(const std::string& key, const std::string& expected, const std::string& value,
                     Ttl ttl) override {
    CheckKey(key);
    Handle handle(pool_);
    for (int attempt = 0; attempt < kCompareAndSetAttempts; ++attempt) {
      std::optional<std::pair<std::string, uint64_t>> current = GetWithCas(handle.get(), key);
      if (!current || current->first != expected) return false;

      memcached_return_t rc = memcached_cas(handle.get(), key.data(), key.size(), value.data(),
                                            value.size(), Expiration(ttl), kFlags, current->second);
      if (rc == MEMCACHED_SUCCESS) return true;
      if (rc == MEMCACHED_NOTFOUND) return false;
      // Someone wrote in between; what they wrote may still equal `expected`: read again.
      if (rc == MEMCACHED_DATA_EXISTS) continue;
      throw Failure(handle.get(), "cas", rc, key);
    }
    // Limitation: under a storm of writers that keep writing `expected` back, this gives up
    // and reports a mismatch; a server-side conditional write would lift it.
    return false;
  }

  bool Remove(const std::string& key) override {
    CheckKey(key);
    Handle handle(pool_);
    memcached_return_t rc = memcached_delete(handle.get(), key.data(), key.size(), 0);
    if (rc == MEMCACHED_SUCCESS) return true;
    if (rc == MEMCACHED_NOTFOUND) return false;
    throw Failure(handle.get(), "delete", rc, key);
  }

  void Flush() override {
    Handle handle(pool_);
    memcached_return_t rc = memcached_flush(handle.get(), 0);
    if (rc != MEMCACHED_SUCCESS) throw Failure(handle.get(), "flush_all", rc);
  }

  std::string Describe() const override { return description_; }

 private:
  // A clone borrowed from the pool for one call and given back when it goes out of scope.
  class Handle {
   public:
    explicit Handle(memcached_pool_st* pool) : pool_(pool) {
      struct timespec wait = {kBorrowTimeoutSeconds, 0};
      memcached_return_t rc = MEMCACHED_SUCCESS;
      memc_ = memcached_pool_fetch(pool_, &wait, &rc);
      if (memc_ == nullptr) {
        throw BackendError(kBackend, "no free connection within " +
                                         std::to_string(kBorrowTimeoutSeconds) + " s (" +
                                         memcached_strerror(nullptr, rc) + ")");
      }
    }
    ~Handle() { memcached_pool_release(pool_, memc_); }
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;

    memcached_st* get() const { return memc_; }

   private:
    memcached_pool_st* pool_;
    memcached_st* memc_;
  };

  void Configure(const MemcachedOptions& options) {
    auto behavior = [this](memcached_behavior_t flag, uint64_t data, const char* what) {
      memcached_return_t rc = memcached_behavior_set(template_, flag, data);
      if (rc != MEMCACHED_SUCCESS) {
        throw BackendError(
            kBackend, std::string("cannot set ") + what + ": " + memcached_strerror(template_, rc));
      }
    };
    behavior(MEMCACHED_BEHAVIOR_BINARY_PROTOCOL, 1, "binary protocol");
    behavior(MEMCACHED_BEHAVIOR_TCP_NODELAY, 1, "TCP_NODELAY");
    behavior(MEMCACHED_BEHAVIOR_SUPPORT_CAS, 1, "CAS");
    // libmemcached refuses its own key verification with the binary protocol; CheckKey does
    // the same checks before every command.
    // Limitation: with several servers, keys are placed by libmemcached's ketama hashing,
    // which other client libraries (such as the original demo's) may not share, so they
    // would look for a key on another server. With one server, as the platforms' memcached
    // services provide, every client agrees; a shared hashing scheme would lift this.
    behavior(MEMCACHED_BEHAVIOR_DISTRIBUTION, MEMCACHED_DISTRIBUTION_CONSISTENT_KETAMA,
             "consistent distribution");
    behavior(MEMCACHED_BEHAVIOR_NO_BLOCK, 1, "non-blocking I/O");
    behavior(MEMCACHED_BEHAVIOR_CONNECT_TIMEOUT, static_cast<uint64_t>(options.connect_timeout_ms),
             "connect timeout");
    behavior(MEMCACHED_BEHAVIOR_POLL_TIMEOUT, static_cast<uint64_t>(options.poll_timeout_ms),
             "poll timeout");
    behavior(MEMCACHED_BEHAVIOR_SND_TIMEOUT, static_cast<uint64_t>(options.poll_timeout_ms) * 1000,
             "send timeout");
    behavior(MEMCACHED_BEHAVIOR_RCV_TIMEOUT, static_cast<uint64_t>(options.poll_timeout_ms) * 1000,
             "receive timeout");
    behavior(MEMCACHED_BEHAVIOR_RETRY_TIMEOUT, static_cast<uint64_t>(options.retry_timeout_s),
             "retry timeout");
    // A failed server stays in the list: keys never move to another server behind the
    // operator's back, and the server is tried again after the retry timeout.
    behavior(MEMCACHED_BEHAVIOR_REMOVE_FAILED_SERVERS, 0, "failed-server removal");

    for (const std::string& server : options.servers) {
      std::string host;
      in_port_t port = 0;
      SplitServer(server, &host, &port);
      memcached_return_t rc = memcached_server_add(template_, host.c_str(), port);
      if (rc != MEMCACHED_SUCCESS) {
        throw BackendError(
            kBackend, "cannot add server '" + server + "': " + memcached_strerror(template_, rc));
      }
    }

    if (!options.username.empty()) {
      memcached_return_t rc = memcached_set_sasl_auth_data(template_, options.username.c_str(),
                                                           options.password.c_str());
      if (rc != MEMCACHED_SUCCESS) {
        throw BackendError(kBackend, std::string("cannot set SASL credentials: ") +
                                         memcached_strerror(template_, rc));
      }
      has_sasl_ = true;
    }
  }

  void ReleaseTemplate() {
    if (template_ == nullptr) return;
    if (has_sasl_) memcached_destroy_sasl_auth_data(template_);
    memcached_free(template_);
    template_ = nullptr;
  }

  // The value and CAS token of `key`, or nullopt if absent.
  static std::optional<std::pair<std::string, uint64_t>> GetWithCas(memcached_st* memc,
                                                                    const std::string& key) {
    const char* keys[] = {key.data()};
    size_t lengths[] = {key.size()};
    memcached_return_t rc = memcached_mget(memc, keys, lengths, 1);
    if (rc != MEMCACHED_SUCCESS) throw Failure(memc, "gets", rc, key);

    std::optional<std::pair<std::string, uint64_t>> found;
    memcached_result_st* result = nullptr;
    // Drain every response so the connection is clean for the next command.
    while ((result = memcached_fetch_result(memc, nullptr, &rc)) != nullptr) {
      if (!found) {
        found.emplace(std::string(memcached_result_value(result), memcached_result_length(result)),
                      memcached_result_cas(result));
      }
      memcached_result_free(result);
    }
    if (rc != MEMCACHED_END && rc != MEMCACHED_SUCCESS && rc != MEMCACHED_NOTFOUND) {
      throw Failure(memc, "gets", rc, key);
    }
    return found;
  }

  // A BackendError naming the command, libmemcached's reason, the system error if there is
  // one and the server that holds `key` (none for commands sent to every server). Only these
  // parts go into the message, never the SASL credentials.
  static BackendError Failure(memcached_st* memc, const char* command, memcached_return_t rc,
                              const std::string& key = std::string()) {
    std::string reason = std::string(command) + " failed: " + memcached_strerror(memc, rc);
    if (memcached_last_error(memc) == rc) {
      int error_number = memcached_last_error_errno(memc);
      if (error_number != 0) reason += std::string(" (") + std::strerror(error_number) + ")";
    }
    if (!key.empty()) {
      memcached_return_t lookup = MEMCACHED_SUCCESS;
      const memcached_instance_st* server =
          memcached_server_by_key(memc, key.data(), key.size(), &lookup);
      if (server != nullptr && lookup == MEMCACHED_SUCCESS) {
        reason += std::string(" at ") + memcached_server_name(server) + ":" +
                  std::to_string(memcached_server_port(server));
      }
    }
    return BackendError(kBackend, reason);
  }

  memcached_st* template_ = nullptr;
  memcached_pool_st* pool_ = nullptr;
  bool has_sasl_ = false;
  std::string description_;
};

}  // namespace

std::unique_ptr<KeyValueStore> NewMemcachedKeyValueStore(const MemcachedOptions& options) {
  return std::make_unique<MemcachedKeyValueStore>(options);
}

}  // namespace pcfdemo
