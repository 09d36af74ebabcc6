#include "ui/model_memory.h"

#include "app/setup/workstation_plan.h"
#include "app/system/system_report.h"
#include "engine/model/model_files.h"

#include <algorithm>

namespace flint::ui {

ModelMemory planModelMemory(const std::filesystem::path& dir) {
  const engine::ModelFiles files = engine::openModelFiles(dir);
  ModelMemory memory;
  memory.census = engine::takeCensus(files.config, files.weights);
  memory.expertsPerToken = std::uint64_t(files.config.numExpertsPerTok);
  memory.plan = app::memoryPlanFor(dir, memory.census, memory.expertsPerToken);
  return memory;
}

engine::LoadOptions loadOptionsFor(const ModelMemory& memory,
                                   std::optional<std::uint64_t> hostExpertBytes,
                                   engine::ComputeDevice device) {
  engine::LoadOptions options;
  options.device = device;
  if (hostExpertBytes) {
    options.hostExpertBytes = std::size_t(*hostExpertBytes);
  } else if (!memory.plan.allResident) {
    // 1 byte cannot hold one token's experts, so the engine refuses the load in words.
    options.hostExpertBytes = memory.plan.fits ? std::size_t(memory.plan.hostExpertBytes) : 1;
  }
  return options;
}

std::string describeMemory(const ModelMemory& memory, std::optional<std::uint64_t> hostExpertBytes,
                           engine::ComputeDevice device) {
  const engine::ModelCensus& c = memory.census;
  std::string text = memory.plan.explanation;
  std::uint64_t experts = memory.plan.hostExpertBytes;
  if (hostExpertBytes) {
    experts = std::min<std::uint64_t>(*hostExpertBytes, c.routedExpertBytes);
    text = "Your budget keeps " + app::formatBytes(experts) + " of the " +
           app::formatBytes(c.routedExpertBytes) + " of routed experts in RAM.";
  }
  text += "\nIn RAM: " + app::formatBytes(c.nonExpertBytes + experts) + " (" +
          app::formatBytes(c.nonExpertBytes) + " of other weights and " +
          app::formatBytes(experts) + " of routed experts).";
  const std::uint64_t fromDisk = c.routedExpertBytes - experts;
  text += fromDisk > 0
              ? "\nRead from disk when used: " + app::formatBytes(fromDisk) + " of routed experts."
              : "\nNothing is read from disk while generating.";
  text += device == engine::ComputeDevice::Cpu
              ? "\nThe CPU computes: every weight is used from RAM."
              : "\nThe GPU computes: it holds the other weights, the KV cache and as many routed "
                "experts as fit; the rest compute on the CPU.";
  return text;
}

}  // namespace flint::ui
