#include "app/system/memory_plan.h"

#include <algorithm>

namespace flint::app {

std::uint64_t memoryMargin(const MemoryInfo& memory) {
  return std::max<std::uint64_t>(memory.totalBytes / 10, std::uint64_t(2) << 30);
}

MemoryPlan planMemory(const engine::ModelCensus& census, std::uint64_t expertsPerToken,
                      const MemoryInfo& memory) {
  MemoryPlan plan;
  const std::uint64_t margin = memoryMargin(memory);
  plan.usableBytes = memory.availableBytes > margin ? memory.availableBytes - margin : 0;
  const std::uint64_t all = census.nonExpertBytes + census.routedExpertBytes;
  if (all <= plan.usableBytes) {
    plan.hostExpertBytes = census.routedExpertBytes;
    plan.explanation = "Every weight fits in RAM (" + formatBytes(all) + " of " +
                       formatBytes(plan.usableBytes) + " usable).";
    return plan;
  }
  plan.allResident = false;
  const std::uint64_t minimum = expertsPerToken * census.expertBytes;
  const std::uint64_t room =
      plan.usableBytes > census.nonExpertBytes ? plan.usableBytes - census.nonExpertBytes : 0;
  if (room < minimum) {
    plan.fits = false;
    plan.explanation = "This machine has " + formatBytes(plan.usableBytes) +
                       " of RAM to spare, but the weights other than the routed experts need " +
                       formatBytes(census.nonExpertBytes) + " and one token's experts " +
                       formatBytes(minimum) + " more; free memory or use a smaller model.";
    return plan;
  }
  plan.hostExpertBytes = room;
  const double share = double(room) / double(std::max<std::uint64_t>(census.routedExpertBytes, 1));
  plan.explanation = "The weights (" + formatBytes(all) + ") exceed the " +
                     formatBytes(plan.usableBytes) + " of RAM to spare: " + formatBytes(room) +
                     " of routed experts (" + std::to_string(int(share * 100)) +
                     " %) stay in RAM and the rest are read from the checkpoint when used.";
  return plan;
}

}  // namespace flint::app
