#pragma once
// The plan for one verified model on this machine: which routed experts the GPU keeps, how
// many stay in RAM, whether the disk tier serves the rest, and the decode speed to expect from
// the bandwidth of each tier. `flint-cli setup` explains it and saves it; loading the same
// model folder later uses its budgets.
#include "app/system/memory_plan.h"
#include "app/system/system_report.h"
#include "engine/model/model_census.h"
#include "engine/model/model_config.h"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace flint::app {

// Read bandwidth of each place weights live, bytes per second. Zero: that tier is absent.
struct TierBandwidths {
  double gpu = 0;
  double host = 0;
  double disk = 0;
  bool gpuAssumed = false;   // from a table of known devices, or a default, not a measurement
  bool diskAssumed = false;  // the disk could not be measured directly
};

struct WorkstationPlan {
  std::filesystem::path modelDir;
  std::string variant;  // "DeepSeek-V4-Flash-DSpark", "a V4-architecture model (4 layers)", ...
  std::uint64_t routedExperts = 0;  // all layers
  std::uint64_t gpuExperts = 0;
  std::uint64_t hostExperts = 0;
  std::uint64_t diskExperts = 0;
  std::uint64_t gpuBytes = 0;  // reserved on the GPU: shared weights, KV and experts
  std::uint64_t hostExpertBytes = 0;
  bool fits = true;  // false: not even one token's experts fit anywhere
  double tokensPerSecondLow = 0, tokensPerSecondHigh = 0;
  std::string explanation;  // the plan in words, a few sentences
};

// Decode reaches about this share of the tiers' bandwidth (measured on this engine's CPU
// decode, docs/BENCHMARKS.md).
inline constexpr double kDecodeEfficiency = 0.6;
// Context the GPU keeps KV for when it holds the shared weights.
inline constexpr std::uint64_t kPlannedContextTokens = 65536;

// Share of expert uses served from memory that holds `share` of the experts, with the
// decaying-frequency policy: 1 - (1 - share)^2.5 fits the hit rates measured on flint-tiny's
// routing (53 % at 25 %, 82 % at 50 %).
double expectedHitRate(double share);

// The model's name for people, from its config and whether it carries a DSpark drafter.
std::string variantName(const engine::ModelConfig& config, const engine::ModelCensus& census);

WorkstationPlan planWorkstation(const std::filesystem::path& modelDir,
                                const engine::ModelConfig& config,
                                const engine::ModelCensus& census, const SystemReport& machine,
                                const TierBandwidths& bandwidths);

// Known GPUs' memory bandwidth by name (bytes per second), else nothing.
std::optional<double> knownGpuBandwidth(const std::string& deviceName);

// Sequential read speed of `file` with the page cache bypassed (O_DIRECT), reading at most
// `bytes`; nothing when the file system does not allow it.
std::optional<double> measureDiskRead(const std::filesystem::path& file,
                                      std::uint64_t bytes = std::uint64_t(256) << 20);

// The saved plan: $XDG_CONFIG_HOME/flint/workstation.json.
std::filesystem::path workstationFile();
void saveWorkstationPlan(const WorkstationPlan& plan, const std::filesystem::path& file);
// The saved plan for `modelDir`, if one was saved for that folder and can be read.
std::optional<WorkstationPlan> loadWorkstationPlan(const std::filesystem::path& file,
                                                   const std::filesystem::path& modelDir);

// The memory plan to load `modelDir` with when the user sets no budget: the one setup saved for
// that folder when it keeps experts on disk, else this machine's default (memory_plan.h).
MemoryPlan memoryPlanFor(const std::filesystem::path& modelDir, const engine::ModelCensus& census,
                         std::uint64_t expertsPerToken);

}  // namespace flint::app
