// Receiver counts one incoming call for a run: the work behind GET /receiver. Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "pcfdemo/run_repository.h"

namespace pcfdemo {

class Receiver {
 public:
  // `repository` must outlive the receiver. Calls that name no strategy are counted with
  // `default_strategy` (read-modify-write, as the original receiver counted).
  Receiver(RunRepository* repository, std::string instance,
           Strategy default_strategy = Strategy::kReadModifyWrite);

  // Counts one call for run `timestamp`. Returns false if there is no such run.
  // Throws BackendError when the repository cannot answer.
  bool Count(int64_t timestamp, std::optional<Strategy> strategy);

  const std::string& instance() const { return instance_; }

 private:
  RunRepository* repository_;
  const std::string instance_;
  const Strategy default_strategy_;
};

}  // namespace pcfdemo
