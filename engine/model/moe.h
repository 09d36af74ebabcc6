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
  // With `next` (the next layer's MoE), the store is also handed a guess of that layer's experts
  // to read in the background while this layer computes: exact for a hash-routed layer (the ids
  // decide), else the next gate applied to this layer's input, for batches of at most
  // kGuessTokens (a larger batch's union is most experts: a guess that would only evict).
  void forward(const LinearContext& ctx, const MoeShape& s, const MoeWeights& w,
               ExpertStore& experts, std::size_t layer, const float* x, const std::int32_t* ids,
               std::size_t tokens, float* out, const MoeWeights* next = nullptr);

  static constexpr std::size_t kGuessTokens = 8;

  // Hands `experts` a guess of the experts layer `layer` (weights `w`) will use for these
  // tokens, when the store wants one: exact for a hash-routed layer (x may then be null), else
  // w's gate applied to x, for batches of at most kGuessTokens.
  void lookAhead(const LinearContext& ctx, const MoeShape& s, const MoeWeights& w,
                 ExpertStore& experts, std::size_t layer, const float* x, const std::int32_t* ids,
                 std::size_t tokens);

  // Routed experts the last forward() used (each once, however many of its tokens chose it):
  // what a pass over several tokens reads beyond a pass over one.
  std::size_t distinctExperts() const { return distinct_; }

  // One expert's clamped SwiGLU FFN over `tokens` rows of x into y; tokenWeights: one routing
  // weight per token, or null (shared expert). Public for the expert placement's measurement.
  void runExpert(const LinearContext& ctx, const MoeShape& s, const ExpertWeights& e,
                 const float* x, const float* tokenWeights, std::size_t tokens, float* y);

 private:
  // The experts of layer weights `w` that the tokens (ids, or x through w's gate) would route
  // to, into guess_.
  void guess(const LinearContext& ctx, const MoeShape& s, const MoeWeights& w, const float* x,
             const std::int32_t* ids, std::size_t tokens);

  std::vector<float> logits_, gathered_, routeWeights_, h_, u_, y_;
  std::vector<std::int32_t> chosen_, used_, guess_;
  std::vector<std::uint8_t> guessed_;  // [expert]: in guess_
  std::size_t distinct_ = 0;
  std::vector<float> weights_;
  std::vector<std::vector<std::pair<std::size_t, float>>> routes_;  // per expert: (token, weight)
};

}  // namespace flint::engine
