// The ways a receiver can count one call in the run's row. The demo exists to show the
// lost-update race, so `kReadModifyWrite` is deliberately racy.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace pcfdemo {

enum class Strategy {
  kReadModifyWrite,  // read the count, write count+1 in a second statement: loses updates
  kAtomic,           // one UPDATE ... SET c = c + 1
  kRowLock,          // a transaction with a locking read (SELECT ... FOR UPDATE)
  kOptimistic,       // conditional update on the value read, retried until it applies
};

// Wire names: "read-modify-write", "atomic", "row-lock", "optimistic".
std::string_view StrategyName(Strategy strategy);

// Parses a wire name; nullopt for anything else.
std::optional<Strategy> ParseStrategy(std::string_view name);

// All strategies, in the order above.
inline constexpr Strategy kAllStrategies[] = {Strategy::kReadModifyWrite, Strategy::kAtomic,
                                              Strategy::kRowLock, Strategy::kOptimistic};

}  // namespace pcfdemo
