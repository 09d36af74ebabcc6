#pragma once
// One layer's attention for a run of tokens (deepseek-v4.md §4): low-rank q with per-head
// RMS, one shared kv that is both key and value, the sliding window, the compressed entries
// (all of them in HCA, the lightning indexer's top-k in CSA), the sink in the softmax
// denominator, output de-rotation, and the grouped output projection.
#include "engine/cache/session_cache.h"
#include "engine/model/linear.h"
#include "engine/model/model_weights.h"
#include "engine/model/rope.h"

#include <cstdint>
#include <vector>

namespace flint::engine {

struct AttentionShape {
  std::size_t hidden = 0, heads = 0, headDim = 0, ropeDims = 0, qLoraRank = 0;
  std::size_t oGroups = 0, oLoraRank = 0, window = 0;
  std::size_t indexHeads = 0, indexHeadDim = 0, indexTopk = 0;
  float eps = 1e-6f;
};

AttentionShape attentionShape(const ModelConfig& config);

// Buffers for the projections below, grown on demand.
struct ProjectionScratch {
  std::vector<float> cos, sin, z, zg, group;
};

// The projections every V4 attention shares, the backbone's and the DSpark stages'. Rows of x
// are the normed block input at positions start, start+1, ...
//
// Queries: wq_a and q_norm into qr [tokens, q_lora_rank], then wq_b, per-head RMS and RoPE into
// q [tokens, heads * head_dim].
void projectQueries(const LinearContext& ctx, const AttentionShape& s, const AttentionWeights& w,
                    const RopeTable& rope, const float* x, std::size_t tokens, std::int64_t start,
                    float* qr, float* q, ProjectionScratch& scratch);
// The shared key-value rows: wkv, kv_norm, RoPE, and the kv fake-quant in official numerics,
// into kv [tokens, head_dim].
void projectKeys(const LinearContext& ctx, const AttentionShape& s, const AttentionWeights& w,
                 const RopeTable& rope, const float* x, std::size_t tokens, std::int64_t start,
                 float* kv, ProjectionScratch& scratch);
// The grouped output projection of the attention output o [tokens, heads * head_dim]: each group
// of heads through its own slice of wo_a, then wo_b, into out [tokens, hidden].
void projectOutput(const LinearContext& ctx, const AttentionShape& s, const AttentionWeights& w,
                   const float* o, std::size_t tokens, float* out, ProjectionScratch& scratch);

class Attention {
 public:
  Attention(const AttentionShape& shape, const AttentionWeights& weights, std::int64_t ratio,
            RopeTable rope);

  // Sizes a fresh cache for this layer.
  void initCache(LayerCache& cache) const;

  // x: [tokens, hidden] normed block input at positions start..start+tokens-1; out likewise.
  void forward(const LinearContext& ctx, const float* x, std::size_t tokens, std::int64_t start,
               LayerCache& cache, float* out);

 private:
  void attendOne(const LinearContext& ctx, std::size_t t, std::int64_t pos, LayerCache& cache);
  void selectIndexed(const LinearContext& ctx, std::size_t t, const LayerCache& cache,
                     std::size_t usable);

  AttentionShape s_;
  const AttentionWeights& w_;
  std::int64_t ratio_;
  RopeTable rope_;

  // Scratch, grown on demand and reused across calls ([tokens, ...] row-major).
  std::vector<float> qr_, q_, kv_, ck_, cg_, qi_, iw_, ik_, ig_, o_, scores_, cos_, sin_;
  std::vector<const float*> keys_;
  ProjectionScratch projection_;
  std::vector<std::int32_t> picked_;
};

}  // namespace flint::engine
