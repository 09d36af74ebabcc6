#pragma once
// Manifold-constrained hyper-connections (deepseek-v4.md §3.1). The residual is `hc` streams
// of width d; before each sub-layer hc_pre mixes them into one input and derives the post
// weights and the Sinkhorn-normalised comb matrix; hc_post writes the sub-layer output back
// into every stream. hc_head collapses the streams at the end of the model.
#include "engine/model/model_weights.h"
#include "kernels/cpu/thread_pool.h"

#include <vector>

namespace flint::engine {

struct HyperShape {
  std::size_t streams = 0;  // hc_mult
  std::size_t hidden = 0;   // d
  int sinkhornIters = 0;
  float hcEps = 0;
  float normEps = 0;
};

HyperShape hyperShape(const ModelConfig& config);

// X: [tokens, streams, hidden]. Writes y [tokens, hidden], post [tokens, streams] and
// comb [tokens, streams, streams] (comb[i][j]: from stream i into stream j).
void hcPre(const HyperShape& s, const HyperConnectionWeights& w, const float* X, std::size_t tokens,
           float* y, float* post, float* comb, kernels::ThreadPool* pool,
           std::vector<float>& scratch);

// out[t, j] = post[t, j] * f[t] + sum_i comb[t][i][j] * res[t, i]. `out` may not alias `res`.
void hcPost(const HyperShape& s, const float* f, const float* res, const float* post,
            const float* comb, std::size_t tokens, float* out);

// y[t] = sum_i (sigmoid(mix_i * scale + base_i) + eps) * X[t, i].
void hcHead(const HyperShape& s, const HyperConnectionWeights& w, const float* X,
            std::size_t tokens, float* y, kernels::ThreadPool* pool, std::vector<float>& scratch);

}  // namespace flint::engine
