// MariaDbServer runs a real MariaDB server for tests: a fresh data directory made by
// mariadb-install-db in a temporary directory, mariadbd listening on 127.0.0.1 on a free port
// it picks itself, its socket, pid file and log in the same temporary directory. No system
// file or service is touched. It creates a user with a password for the code under test; the
// test itself administers the server as root over the private socket with the `mariadb`
// client. It can be stopped and started again on the same port with the same data, and it is
// killed when the object goes away.
//
// Starting takes seconds, so a test binary shares one server: Shared(). Not thread-safe:
// drive it from the test's main thread.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

namespace pcfdemo::testing {

class MariaDbServer {
 public:
  // The user the code under test connects as, and its password: it holds characters that
  // must be percent-encoded in a URL and escaped in a connection string.
  static constexpr char kUser[] = "pcfdemo";
  static constexpr char kPassword[] = "s3cr3t p@ss:w/rd'%";

  // Empty if the mariadbd binary is found; otherwise why not (the tests skip with this
  // reason). mariadb-install-db, mariadb and mariadb-admin ship with it; if one of them is
  // missing the constructor throws, so a broken installation fails instead of skipping.
  static std::string Unavailable();

  // The server shared by this test binary, started on first use and killed at exit.
  // REQUIRES: Unavailable() is empty. Throws std::runtime_error if it does not come up.
  static MariaDbServer& Shared();

  // Initialises a data directory and starts the server. Throws std::runtime_error, with the
  // server's log, if either fails.
  MariaDbServer();
  ~MariaDbServer();

  MariaDbServer(const MariaDbServer&) = delete;
  MariaDbServer& operator=(const MariaDbServer&) = delete;

  // Shuts the server down (SIGTERM, then SIGKILL after 30 s) and waits for it to exit. Data
  // written before survives, as in a real restart.
  void Stop();

  // Starts the server again on the same port and data directory; returns once it answers.
  void Start();

  bool running() const { return pid_ > 0; }
  int port() const { return port_; }

  // mysql://pcfdemo:<percent-encoded password>@127.0.0.1:<port>/<database>
  std::string url(const std::string& database) const;

  // Creates a new, empty database the user may use and returns its name.
  std::string CreateDatabase();

  // Runs `sql` (one or more statements) as root in `database` (none if empty) and returns
  // what the client printed: rows tab-separated, no column names. Throws std::runtime_error
  // with the client's message on failure.
  std::string Execute(const std::string& sql, const std::string& database = "") const;

 private:
  void Launch();
  void WaitUntilReady();
  std::string LogTail() const;

  std::string work_dir_;  // data/, mysqld.sock, mariadbd.pid, mariadbd.log
  int port_ = 0;
  pid_t pid_ = -1;
  int databases_created_ = 0;
};

}  // namespace pcfdemo::testing
