#pragma once
// What the CUDA backbone puts in device memory: every non-routed weight as the checkpoint
// stores it (FP8/FP4/BF16, never expanded), one session's KV cache for a chosen context, the
// activations of the largest pass, and as many routed experts as the rest leaves room for (or
// the user's budget allows). The experts that do not fit are computed on the CPU.
#include "engine/model/model_config.h"
#include "engine/model/model_weights.h"

#include <cstddef>
#include <optional>
#include <string>

namespace flint::engine {

struct DeviceMemoryPlan {
  std::string deviceName;
  std::size_t totalBytes = 0;    // the device's memory
  std::size_t freeBytes = 0;     // free before the load
  std::size_t reserveBytes = 0;  // left free: the CUDA runtime, cuBLASLt, fragmentation
  std::size_t weightBytes = 0;   // non-routed weights, uploaded once
  std::size_t cacheBytes = 0;    // one session's KV cache for contextTokens
  std::size_t scratchBytes = 0;  // activations of a pass of batchTokens tokens
  std::size_t contextTokens = 0;
  std::size_t batchTokens = 0;
  std::size_t expertBytes = 0;    // one routed expert: w1, w2, w3 with their scales
  std::size_t routedExperts = 0;  // all of them, every layer
  std::size_t deviceExperts = 0;  // the device's expert slots; the rest compute on the CPU
  bool fits = false;              // weights, cache and scratch fit beside the reserve
  std::string explanation;        // the plan in sentences, for doctor, inspect and the GUI
};

struct DeviceMemoryRequest {
  std::string deviceName;
  std::size_t totalBytes = 0;
  std::size_t freeBytes = 0;
  std::size_t contextTokens = 0;  // 0: min(max_position_embeddings, kDefaultContextTokens)
  std::size_t batchTokens = 0;    // 0: kDefaultBatchTokens
  // The user's budget for expert slots in bytes; unset: whatever is left after the rest.
  std::optional<std::size_t> expertBudgetBytes;
};

inline constexpr std::size_t kDefaultContextTokens = 65536;
inline constexpr std::size_t kDefaultBatchTokens = 256;

// Bytes DeviceModelWeights uploads for `weights` (every tensor but the routed experts).
std::size_t deviceWeightBytes(const ModelWeights& weights);
// Bytes of one session's device KV cache (see DeviceCache) and of one pass's activations.
std::size_t deviceCacheBytes(const ModelConfig& config, std::size_t contextTokens,
                             std::size_t batchTokens);
std::size_t deviceScratchBytes(const ModelConfig& config, std::size_t contextTokens,
                               std::size_t batchTokens);

DeviceMemoryPlan planDeviceMemory(const ModelConfig& config, const ModelWeights& weights,
                                  const DeviceMemoryRequest& request);

}  // namespace flint::engine
