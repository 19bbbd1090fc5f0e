// RunRepository adapters on SOCI: MySQL/MariaDB (the `request_recorder` table shared with
// the original demo) and SQLite (the embedded default). Thread-safe; a MySQL repository
// keeps a pool of connections and reconnects after "server has gone away" or a restart.
#pragma once

#include <memory>
#include <string>

#include "pcfdemo/run_repository.h"

namespace pcfdemo {

// Opens the repository a database URL names and ensures its schema:
//   mysql://user:password@host:port/database   MySQL or MariaDB (port 3306 when omitted)
//   sqlite:///absolute/path/to/file.db          SQLite file, created if absent
//   memory:                                     in this process's memory
// Throws BackendError if it cannot be opened; the message never contains the password.
std::unique_ptr<RunRepository> OpenRunRepository(const std::string& url,
                                                 CountInterleaving interleaving = {});

// A URL with any password replaced by "***", for logs and pages.
std::string RedactDatabaseUrl(const std::string& url);

}  // namespace pcfdemo
