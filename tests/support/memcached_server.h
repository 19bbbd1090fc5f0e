// MemcachedServer runs a real memcached process for tests: on 127.0.0.1, on a free port it
// picks itself, optionally with SASL (a private sasldb and SASL config in a temporary
// directory). It can be stopped, paused and started again on the same port, and it is killed
// when the object goes away. Not thread-safe: drive it from the test's main thread.
#pragma once

#include <sys/types.h>

#include <string>

namespace pcfdemo::testing {

class MemcachedServer {
 public:
  struct Options {
    // Non-empty: start with -S and a sasldb holding this user and password.
    std::string sasl_username;
    std::string sasl_password;
  };

  // True if the memcached binary (and, for SASL, saslpasswd2) can be found.
  static bool Available(bool with_sasl = false);

  // Picks a port; does not start the server. REQUIRES: Available(with SASL if asked).
  explicit MemcachedServer(Options options = {});
  ~MemcachedServer();

  MemcachedServer(const MemcachedServer&) = delete;
  MemcachedServer& operator=(const MemcachedServer&) = delete;

  // Starts memcached and returns once it accepts connections (within about five seconds).
  // Throws std::runtime_error if it does not come up.
  void Start();

  // Kills memcached and waits for it to exit. Its data is lost, as in a real restart.
  void Stop();

  // SIGSTOP / SIGCONT: the server keeps its sockets but answers nothing while paused.
  void Pause();
  void Resume();

  bool running() const { return pid_ > 0; }
  int port() const { return port_; }
  // "127.0.0.1:<port>"
  std::string address() const;

  // Sends `request` as-is over a new text-protocol connection and returns what the server
  // answers up to and including the first line equal to one of "END", "STORED",
  // "NOT_STORED", "EXISTS", "NOT_FOUND", "DELETED", "OK" or starting with "ERROR",
  // "CLIENT_ERROR" or "SERVER_ERROR" (read for at most two seconds).
  std::string RawTextCommand(const std::string& request) const;

 private:
  void PrepareSasl();

  Options options_;
  int port_ = 0;
  pid_t pid_ = -1;
  std::string work_dir_;  // the log, and for SASL memcached.conf and the sasldb
};

}  // namespace pcfdemo::testing
