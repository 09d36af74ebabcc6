#include "engine/model/moe.h"

#include "engine/model/scratch.h"
#include "kernels/cpu/vector_ops.h"

#include <algorithm>
#include <cmath>

namespace flint::engine {

MoeShape moeShape(const ModelConfig& c) {
  return {std::size_t(c.hiddenSize),
          std::size_t(c.moeIntermediateSize),
          std::size_t(c.nRoutedExperts),
          std::size_t(c.numExpertsPerTok),
          float(c.routedScalingFactor),
          float(c.swigluLimit),
          c.normTopkProb};
}

void Moe::runExpert(const LinearContext& ctx, const MoeShape& s, const ExpertWeights& e,
                    const float* x, const float* tokenWeights, std::size_t tokens, float* y) {
  float* g = grow(h_, tokens * s.intermediate);
  float* u = grow(u_, tokens * s.intermediate);
  linear(ctx, e.w1, x, tokens, g);
  linear(ctx, e.w3, x, tokens, u);
  for (std::size_t i = 0; i < tokens * s.intermediate; ++i) {
    const float up = std::clamp(u[i], -s.swigluLimit, s.swigluLimit);
    g[i] = kernels::silu(std::min(g[i], s.swigluLimit)) * up;
    // Routing weights apply before the down projection, where the reference's FP8 input
    // rounding of w2 sees them.
    if (tokenWeights) g[i] *= tokenWeights[i / s.intermediate];
  }
  store(ctx, g, tokens * s.intermediate);
  linear(ctx, e.w2, g, tokens, y);
}

void Moe::guess(const LinearContext& ctx, const MoeShape& s, const MoeWeights& w, const float* x,
                const std::int32_t* ids, std::size_t tokens) {
  const std::size_t E = s.experts, k = s.topK;
  guessed_.assign(E, 0);
  chosen_.resize(k);
  if (!w.tid2eid.empty()) {
    for (std::size_t t = 0; t < tokens; ++t)
      for (std::size_t j = 0; j < k; ++j)
        guessed_[std::size_t(w.tid2eid[std::size_t(ids[t]) * k + j])] = 1;
  } else {
    float* logits = grow(logits_, tokens * E);
    kernels::matmul(w.gate, x, tokens, logits, ctx.pool);
    weights_.resize(E);
    for (std::size_t t = 0; t < tokens; ++t) {
      const float* score = logits + t * E;
      for (std::size_t e = 0; e < E; ++e)
        weights_[e] = std::sqrt(kernels::softplus(score[e])) + w.bias[e];
      kernels::topK(weights_.data(), E, k, chosen_.data());
      for (std::int32_t e : chosen_) guessed_[std::size_t(e)] = 1;
    }
  }
  guess_.clear();
  for (std::size_t e = 0; e < E; ++e)
    if (guessed_[e]) guess_.push_back(std::int32_t(e));
}

void Moe::lookAhead(const LinearContext& ctx, const MoeShape& s, const MoeWeights& w,
                    ExpertStore& experts, std::size_t layer, const float* x,
                    const std::int32_t* ids, std::size_t tokens) {
  if (!experts.wantsPrefetch() || (w.tid2eid.empty() && (!x || tokens > kGuessTokens))) return;
  guess(ctx, s, w, x, ids, tokens);
  experts.prefetch(layer, guess_);
}

void Moe::forward(const LinearContext& ctx, const MoeShape& s, const MoeWeights& w,
                  ExpertStore& experts, std::size_t layer, const float* x, const std::int32_t* ids,
                  std::size_t tokens, float* out, const MoeWeights* next) {
  const std::size_t E = s.experts, k = s.topK, d = s.hidden;
  float* logits = grow(logits_, tokens * E);
  kernels::matmul(w.gate, x, tokens, logits, ctx.pool);  // BF16 gate, fp32 math, no rounding

  routes_.resize(E);
  for (auto& r : routes_) r.clear();
  chosen_.resize(k);
  weights_.resize(E);
  for (std::size_t t = 0; t < tokens; ++t) {
    float* score = logits + t * E;
    for (std::size_t e = 0; e < E; ++e) score[e] = std::sqrt(kernels::softplus(score[e]));
    if (!w.tid2eid.empty()) {
      std::copy_n(w.tid2eid.data() + std::size_t(ids[t]) * k, k, chosen_.data());
    } else {
      for (std::size_t e = 0; e < E; ++e)
        weights_[e] = score[e] + w.bias[e];  // bias picks, never weighs
      kernels::topK(weights_.data(), E, k, chosen_.data());
    }
    float total = 0;
    for (std::int32_t e : chosen_) total += score[e];
    for (std::int32_t e : chosen_) {
      const float weight = (s.normalize ? score[e] / total : score[e]) * s.routedScale;
      routes_[std::size_t(e)].push_back({t, weight});
    }
  }

  used_.clear();
  for (std::size_t e = 0; e < E; ++e)
    if (!routes_[e].empty()) used_.push_back(std::int32_t(e));
  distinct_ = used_.size();
  // The store may start reading the routed experts while the shared one computes.
  experts.willUse(layer, used_);
  // Look-ahead: the next layer's reads start now, behind this layer's own.
  if (next) lookAhead(ctx, s, *next, experts, layer + 1, x, ids, tokens);
  // The shared expert sees every token; each routed expert only its own, gathered.
  runExpert(ctx, s, w.shared, x, nullptr, tokens, out);
  for (std::size_t e = 0; e < E; ++e) {
    const auto& route = routes_[e];
    if (route.empty()) continue;
    float* gathered = grow(gathered_, route.size() * d);
    float* tokenWeights = grow(routeWeights_, route.size());
    for (std::size_t i = 0; i < route.size(); ++i) {
      std::copy_n(x + route[i].first * d, d, gathered + i * d);
      tokenWeights[i] = route[i].second;
    }
    float* y = grow(y_, route.size() * d);
    runExpert(ctx, s, experts.expertForBatch(layer, e, route.size()), gathered, tokenWeights,
              route.size(), y);
    for (std::size_t i = 0; i < route.size(); ++i) {
      float* o = out + route[i].first * d;
      for (std::size_t j = 0; j < d; ++j) o[j] += y[i * d + j];
    }
  }
  store(ctx, out, tokens * d);
}

}  // namespace flint::engine
