#pragma once
// The MoE feed-forward (deepseek-v4.md §4.7): sqrt(softplus) scores; the top-k chosen with
// the bias (selection only) or, in hash layers, by the token id; weights renormalised over
// the chosen experts and scaled; clamped SwiGLU experts; the shared expert added.
#include "engine/experts/expert_store.h"
#include "engine/model/linear.h"
#include "engine/model/model_weights.h"

#include <cstdint>
#include <vector>

namespace flint::engine {

struct MoeShape {
  std::size_t hidden = 0, intermediate = 0, experts = 0, topK = 0;
  float routedScale = 1.0f;
  float swigluLimit = 0.0f;
  bool normalize = true;
};

MoeShape moeShape(const ModelConfig& config);

class Moe {
 public:
  // x: [tokens, hidden] normed; ids: the tokens' ids (hash routing); out: [tokens, hidden].
  void forward(const LinearContext& ctx, const MoeShape& s, const MoeWeights& w,
               ExpertStore& experts, std::size_t layer, const float* x, const std::int32_t* ids,
               std::size_t tokens, float* out);

  // Routed experts the last forward() used (each once, however many of its tokens chose it):
  // what a pass over several tokens reads beyond a pass over one.
  std::size_t distinctExperts() const { return distinct_; }

 private:
  // tokenWeights: one routing weight per token, or null (shared expert).
  void runExpert(const LinearContext& ctx, const MoeShape& s, const ExpertWeights& e,
                 const float* x, const float* tokenWeights, std::size_t tokens, float* y);

  std::vector<float> logits_, gathered_, routeWeights_, h_, u_, y_;
  std::vector<std::int32_t> chosen_, used_;
  std::size_t distinct_ = 0;
  std::vector<float> weights_;
  std::vector<std::vector<std::pair<std::size_t, float>>> routes_;  // per expert: (token, weight)
};

}  // namespace flint::engine
