#include "pcfdemo/strategy.h"

#include "pcfdemo/run.h"

namespace pcfdemo {

std::string_view StrategyName(Strategy strategy) {
  switch (strategy) {
    case Strategy::kReadModifyWrite:
      return "read-modify-write";
    case Strategy::kAtomic:
      return "atomic";
    case Strategy::kRowLock:
      return "row-lock";
    case Strategy::kOptimistic:
      return "optimistic";
  }
  return "atomic";
}

std::optional<Strategy> ParseStrategy(std::string_view name) {
  for (Strategy strategy : kAllStrategies) {
    if (StrategyName(strategy) == name) return strategy;
  }
  return std::nullopt;
}

std::string_view RunStatusName(RunStatus status) {
  switch (status) {
    case RunStatus::kPending:
      return "pending";
    case RunStatus::kRunning:
      return "running";
    case RunStatus::kFinished:
      return "finished";
    case RunStatus::kAbandoned:
      return "abandoned";
  }
  return "running";
}

std::optional<RunStatus> ParseRunStatus(std::string_view name) {
  for (RunStatus status :
       {RunStatus::kPending, RunStatus::kRunning, RunStatus::kFinished, RunStatus::kAbandoned}) {
    if (RunStatusName(status) == name) return status;
  }
  return std::nullopt;
}

}  // namespace pcfdemo
