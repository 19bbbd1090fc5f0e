// BackendError is thrown by adapters when a backend (cache, database, network) cannot
// answer: unreachable, timed out, refused the credentials. It never means "not found":
// absence is reported through return values. Messages name the backend and the reason
// and never contain a password, token or credential.
#pragma once

#include <stdexcept>
#include <string>

namespace pcfdemo {

class BackendError : public std::runtime_error {
 public:
  BackendError(std::string backend, const std::string& reason)
      : std::runtime_error(backend + ": " + reason), backend_(std::move(backend)) {}

  // A short name of the backend that failed, e.g. "memcached", "mysql", "sqlite".
  const std::string& backend() const { return backend_; }

 private:
  std::string backend_;
};

}  // namespace pcfdemo
