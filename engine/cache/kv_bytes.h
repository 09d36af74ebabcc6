#pragma once
// Bytes of a session's attention state by layer kind (deepseek-v4.md §4.10), as Flint holds
// them: fp32 values, where the spec's figures assume BF16 (half these bytes).
#include "engine/cache/session_cache.h"
#include "engine/model/model_config.h"

#include <cstddef>
#include <cstdint>

namespace flint::engine {

struct KvBytes {
  std::size_t window = 0;           // every layer's window ring: fixed per sequence
  std::size_t compressorState = 0;  // compressors' last 2 * ratio rows (CSA, HCA, indexer): fixed
  std::size_t csa = 0;              // CSA compressed entries: one per 4 tokens per layer
  std::size_t indexer = 0;          // the indexer's keys in CSA layers: one per 4 tokens
  std::size_t hca = 0;              // HCA compressed entries: one per ratio (128) tokens

  std::size_t total() const { return window + compressorState + csa + indexer + hca; }
  bool operator==(const KvBytes&) const = default;
};

// What `cache` holds now.
KvBytes measureKvBytes(const SessionCache& cache);

// What a cache of `tokens` positions holds by the config's shapes: the formula
// measureKvBytes() must agree with.
KvBytes expectedKvBytes(const ModelConfig& config, std::int64_t tokens);

// The spec's per-token growth at BF16 (§4.10) of each growing part, in bytes per token: CSA
// 2 * head_dim / 4, indexer 2 * index_head_dim / 4, HCA 2 * head_dim / ratio, per layer.
struct KvGrowth {
  double csa = 0, indexer = 0, hca = 0;
  double total() const { return csa + indexer + hca; }
};
KvGrowth specKvGrowthBf16(const ModelConfig& config);

}  // namespace flint::engine
