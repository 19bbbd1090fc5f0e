// The KeyValueStore contract, run against the in-memory store with a manual clock.
#include "support/key_value_store_contract.h"

#include <memory>

#include "pcfdemo/clock.h"
#include "pcfdemo/in_memory_key_value_store.h"

namespace pcfdemo::testing {
namespace {

KeyValueStoreTarget InMemoryTarget() {
  // One clock shared by the store and the test; the store holds a raw pointer, so the
  // clock lives as long as the target.
  auto clock = std::make_shared<ManualClock>();
  return KeyValueStoreTarget{
      "Memory", [clock] { return std::make_unique<InMemoryKeyValueStore>(clock.get()); },
      [clock](std::chrono::seconds duration) {
        clock->Advance(std::chrono::duration_cast<std::chrono::microseconds>(duration).count());
      }};
}

INSTANTIATE_TEST_SUITE_P(InMemoryKeyValueStore, KeyValueStoreContract,
                         ::testing::Values(InMemoryTarget()), TargetName);

}  // namespace
}  // namespace pcfdemo::testing
