#pragma once
// The DSpark drafter on the CPU (deepseek-v4.md §7.3): γ tokens [anchor, noise...] in one pass
// through three window-only stage blocks that attend, without a causal mask, to their own block
// and to keys made from the target's tapped hidden states (main_x) of the committed positions in
// the window; then the shared head, the sequential Markov head and the confidence head.
// Mirrors tools/reference/dspark.py, which writes its golden fixtures.
#include "engine/model/attention.h"
#include "engine/model/hyper_connections.h"
#include "engine/model/linear.h"
#include "engine/model/model_files.h"
#include "engine/model/model_weights.h"
#include "engine/model/moe.h"
#include "engine/model/rope.h"

#include <cstdint>
#include <memory>
#include <vector>

namespace flint::engine {

class Drafter {
 public:
  // `backbone` lends the shared embedding and head; both must outlive the drafter.
  Drafter(const ModelFiles& files, const ModelWeights& backbone);
  ~Drafter();

  std::size_t blockSize() const { return blockSize_; }

  // main_x [tokens, d] from the target's taps [tokens, stages * d].
  void project(const LinearContext& ctx, const float* taps, std::size_t tokens, float* mainX);

  std::size_t stages() const { return w_.stages.size(); }
  std::size_t keyWidth() const { return shape_.headDim; }

  // Stage `stage`'s keys [rows, head_dim] for main_x rows of consecutive positions from
  // `firstPosition`: what its window ring holds for committed target positions.
  void stageKeys(const LinearContext& ctx, std::size_t stage, const float* mainX, std::size_t rows,
                 std::int64_t firstPosition, float* out);

  // One block with the anchor at position `start`. contextKeys[s] holds stage s's keys of
  // positions start - contextRows .. start - 1, oldest first (at most the window). Writes the
  // base logits [γ, vocab] and the last stage's pre-norm hidden states [γ, d].
  void block(const LinearContext& ctx, const std::vector<const float*>& contextKeys,
             std::size_t contextRows, std::int64_t start, std::int32_t anchor,
             std::vector<float>& baseLogits, std::vector<float>& hidden);

  // The Markov-corrected logits of one draft: base + markov_w1[previous] · markov_w2ᵀ.
  void markov(const LinearContext& ctx, const float* base, std::int32_t previous, float* out);

  // The confidence logit of one draft (sigmoid: P(accepted | the earlier drafts were)).
  float confidence(const float* hidden, std::int32_t previous) const;

 private:
  void stageAttention(const LinearContext& ctx, std::size_t stage, const float* x,
                      std::int64_t start, const float* contextKeys, std::size_t contextRows,
                      float* out);

  const ModelWeights& backbone_;
  DrafterWeights w_;
  AttentionShape shape_;
  HyperShape hyper_;
  MoeShape moeShape_;
  RopeTable rope_;
  std::size_t blockSize_;
  std::int32_t noiseId_;
  std::size_t vocab_;
  std::unique_ptr<ExpertStore> experts_;
  Moe moe_;

  ProjectionScratch projection_;
  std::vector<float> X_, res_, y_, sub_, post_, comb_, hcScratch_, qr_, q_, kv_, o_, scores_, cos_,
      sin_, row_;
};

}  // namespace flint::engine
