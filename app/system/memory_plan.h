#pragma once
// Where a model's weights go on this machine when the user sets no budget: everything in RAM
// when it fits with a margin to spare, else the non-expert weights and as many routed experts
// as fit in RAM, the rest read from the checkpoint on demand (the disk tier). The margin keeps
// room for the OS, the app, the KV cache and the page cache the disk tier itself reads through.
#include "app/system/system_report.h"
#include "engine/model/model_census.h"

#include <cstdint>
#include <string>

namespace flint::app {

struct MemoryPlan {
  std::uint64_t usableBytes = 0;  // RAM the plan may fill
  std::uint64_t hostExpertBytes =
      0;                    // routed experts kept in RAM; all of them when everything fits
  bool allResident = true;  // no disk tier
  bool fits = true;         // false: not even one token's experts fit beside the rest
  std::string explanation;  // the plan in a sentence or two
};

// Keep this much free: 10 % of the machine's RAM, at least 2 GiB.
std::uint64_t memoryMargin(const MemoryInfo& memory);

MemoryPlan planMemory(const engine::ModelCensus& census, std::uint64_t expertsPerToken,
                      const MemoryInfo& memory);

}  // namespace flint::app
