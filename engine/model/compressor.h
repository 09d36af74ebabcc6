#pragma once
// The KV compressor of CSA/HCA layers (deepseek-v4.md §4.4), one token at a time: every
// `ratio` tokens it emits one entry, a per-channel softmax-weighted sum of the tokens' kv
// rows (CSA: over the previous window's first halves and this window's second halves), then
// RMSNorm and RoPE at the window's first position.
#include "engine/cache/session_cache.h"
#include "engine/model/model_weights.h"
#include "engine/model/rope.h"

#include <cstdint>

namespace flint::engine {

// Sizes the cache for a compressor whose entries are `width` wide.
void initCompressorCache(CompressorCache& cache, std::size_t ratio, std::size_t width);

// Adds token `pos` (its projected kv and gate rows, `channels` floats each; the gate without
// ape). Returns true when this token completed a window and an entry was appended; the new
// entry is then the last `width` floats of cache.entries, normed and rotated but not yet
// post-processed (the caller applies Hadamard or fake quantization as its branch needs).
// `roundToBf16`: official numerics store the normed and the rotated entry as bf16.
bool pushCompressorToken(CompressorCache& cache, const CompressorWeights& w, const RopeTable& rope,
                         std::int64_t pos, const float* kv, const float* gate, float eps,
                         bool roundToBf16);

}  // namespace flint::engine
