#pragma once
// The DeepSeek-V4 backbone on the CPU (deepseek-v4.md §3): embed, hc streams, the blocks
// (mHC around attention and MoE), hc_head, final norm, fp32 head. Prefill and decode are the
// same call: tokens are appended to a SessionCache, so decoding after a prefill computes
// what one longer prefill would.
#include "engine/cache/session_cache.h"
#include "engine/experts/expert_store.h"
#include "engine/model/attention.h"
#include "engine/model/hyper_connections.h"
#include "engine/model/model_files.h"
#include "engine/model/model_weights.h"
#include "engine/model/moe.h"
#include "engine/model/numerics.h"

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace flint::engine {

// Adds layer `layer`'s stream average of X [tokens, streams, hidden] to `taps` ([tokens,
// targets * hidden]) when it is one of the drafter's target layers.
void recordDrafterTap(const ModelConfig& config, std::size_t layer, const float* X,
                      std::size_t tokens, std::size_t streams, std::size_t hidden,
                      std::vector<float>& taps);

class Transformer {
 public:
  // Takes the opened, validated files; binds weights (no bulk copies). `pool` may be null.
  Transformer(ModelFiles files, kernels::ThreadPool* pool);
  Transformer(const Transformer&) = delete;
  Transformer& operator=(const Transformer&) = delete;

  const ModelConfig& config() const { return files_.config; }
  const ModelFiles& files() const { return files_; }
  const ModelWeights& weights() const { return weights_; }

  SessionCache newCache() const;

  // Runs `ids` at positions cache.length... and appends them to the cache. Writes float32
  // logits for every new position ([ids.size(), vocab]) when `allPositions`, else for the last
  // one only ([1, vocab]). Throws std::invalid_argument for an id outside the vocabulary or a
  // sequence longer than max_position_embeddings.
  // With `taps` (DSpark models): also writes, for every new position, the outputs of the
  // drafter's target layers averaged over the residual streams, [ids.size(), taps * hidden].
  void forward(std::span<const std::int32_t> ids, SessionCache& cache, Numerics numerics,
               bool allPositions, std::vector<float>& logits, std::vector<float>* taps = nullptr);

  // Bytes of weights one decoded token reads: every non-routed linear and mHC matrix, top-k
  // routed experts per layer, the head, one embedding row.
  std::size_t weightBytesPerToken() const;

  // Routed experts the last forward() read, summed over layers (each counted once per layer).
  std::size_t lastDistinctExperts() const { return lastDistinctExperts_; }

  // Use another store for the routed experts (the default keeps all of them mapped).
  void setExpertStore(ExpertStore* store) { experts_ = store ? store : &resident_; }
  // Whether each layer hands the store a guess of the next layer's experts (on by default; the
  // store ignores it unless it reads experts on demand).
  void setLookAhead(bool on) { lookAhead_ = on; }

 private:
  ModelFiles files_;
  ModelWeights weights_;
  kernels::ThreadPool* pool_;
  HyperShape hyper_;
  MoeShape moeShape_;
  std::vector<Attention> attention_;
  Moe moe_;
  ResidentExpertStore resident_;
  ExpertStore* experts_;
  bool lookAhead_ = true;
  std::size_t lastDistinctExperts_ = 0;

  // [tokens, streams, hidden] residual, its copy, and per-token sub-layer buffers.
  std::vector<float> X_, res_, y_, sub_, post_, comb_, hcScratch_;
};

}  // namespace flint::engine
