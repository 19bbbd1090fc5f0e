#include "pcfdemo/receiver.h"

namespace pcfdemo {

Receiver::Receiver(RunRepository* repository, std::string instance, Strategy default_strategy)
    : repository_(repository),
      instance_(std::move(instance)),
      default_strategy_(default_strategy) {}

bool Receiver::Count(int64_t timestamp, std::optional<Strategy> strategy) {
  return repository_->CountCall(timestamp, strategy.value_or(default_strategy_));
}

}  // namespace pcfdemo
