#include "engine/gpu/memory_plan.h"

#include "engine/gpu/device_cache.h"
#include "engine/gpu/device_weights.h"

#include <algorithm>
#include <cstdio>

namespace flint::engine {

namespace {

std::string gib(std::size_t bytes) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f GiB", double(bytes) / double(1ull << 30));
  return text;
}

}  // namespace

std::size_t deviceWeightBytes(const ModelWeights& weights) {
  return DeviceModelWeights::bytesFor(weights);
}

std::size_t deviceCacheBytes(const ModelConfig& config, std::size_t contextTokens,
                             std::size_t batchTokens) {
  return DeviceCache::bytes(config, contextTokens, batchTokens);
}

std::size_t deviceScratchBytes(const ModelConfig& c, std::size_t context, std::size_t B) {
  // CudaTransformer::Scratch, rounded up: the residual streams and their copies, the widest
  // projections, the routed experts' rows (one per token and expert), the indexer's score rows
  // over the whole context, and the logits of every row.
  const std::size_t n = std::size_t(c.hcMult), d = std::size_t(c.hiddenSize);
  const std::size_t qWidth = std::size_t(c.numAttentionHeads * c.headDim);
  const std::size_t inter = std::size_t(c.moeIntermediateSize), k = std::size_t(c.numExpertsPerTok);
  const std::size_t widest = std::max({d, inter, qWidth, std::size_t(c.qLoraRank)});
  std::size_t floats = B * (3 * n * d + 4 * qWidth + 4 * d + 2 * inter +
                            std::size_t(c.nRoutedExperts) + std::size_t(c.vocabSize));
  floats += B * k * (widest + 2 * inter + 2 * d);
  floats += B * std::size_t(c.indexNHeads * c.indexHeadDim) * 2 + B * (context / 4);
  return floats * sizeof(float) + (64ull << 20);  // cuBLASLt workspace and small tables
}

DeviceMemoryPlan planDeviceMemory(const ModelConfig& config, const ModelWeights& weights,
                                  const DeviceMemoryRequest& r) {
  DeviceMemoryPlan p;
  p.deviceName = r.deviceName;
  p.totalBytes = r.totalBytes;
  p.freeBytes = r.freeBytes;
  p.reserveBytes = std::max<std::size_t>(r.totalBytes / 20, 512ull << 20);
  const std::size_t limit = std::size_t(std::max<std::int64_t>(config.maxPositionEmbeddings, 1));
  p.contextTokens = std::min(r.contextTokens ? r.contextTokens : kDefaultContextTokens, limit);
  p.batchTokens = r.batchTokens ? r.batchTokens : kDefaultBatchTokens;
  p.weightBytes = deviceWeightBytes(weights);
  p.cacheBytes = deviceCacheBytes(config, p.contextTokens, p.batchTokens);
  p.scratchBytes = deviceScratchBytes(config, p.contextTokens, p.batchTokens);
  const bool experts = !weights.layers.empty() && !weights.layers.front().moe.experts.empty();
  p.expertBytes = experts ? packedExpertBytes(weights.layers.front().moe.experts.front()) : 0;
  p.routedExperts = experts ? weights.layers.size() * weights.layers.front().moe.experts.size() : 0;

  const std::size_t fixed = p.weightBytes + p.cacheBytes + p.scratchBytes;
  const std::size_t usable = p.freeBytes > p.reserveBytes ? p.freeBytes - p.reserveBytes : 0;
  p.fits = fixed <= usable;
  if (!p.fits) {
    p.explanation = p.deviceName + " has " + gib(usable) + " to spare; the shared weights (" +
                    gib(p.weightBytes) + "), a KV cache for " + std::to_string(p.contextTokens) +
                    " tokens (" + gib(p.cacheBytes) + ") and the activations (" +
                    gib(p.scratchBytes) + ") need " + gib(fixed) +
                    ". A smaller GPU context may fit.";
    return p;
  }
  std::size_t room = usable - fixed;
  if (r.expertBudgetBytes) room = std::min(room, *r.expertBudgetBytes);
  p.deviceExperts = p.expertBytes ? std::min(p.routedExperts, room / p.expertBytes) : 0;
  p.explanation = p.deviceName + " holds the shared weights (" + gib(p.weightBytes) +
                  "), a KV cache for " + std::to_string(p.contextTokens) + " tokens (" +
                  gib(p.cacheBytes) + ") and " + std::to_string(p.deviceExperts) + " of " +
                  std::to_string(p.routedExperts) + " routed experts (" +
                  gib(p.deviceExperts * p.expertBytes) + ").";
  if (p.deviceExperts < p.routedExperts)
    p.explanation +=
        " The other experts are computed on the CPU while the GPU works; the most "
        "used move up as the model runs.";
  return p;
}

}  // namespace flint::engine
