#include "engine/model/hyper_connections.h"

#include "kernels/cpu/matmul.h"
#include "kernels/cpu/vector_ops.h"

#include <cmath>

namespace flint::engine {

HyperShape hyperShape(const ModelConfig& c) {
  return {std::size_t(c.hcMult), std::size_t(c.hiddenSize), int(c.hcSinkhornIters), float(c.hcEps),
          float(c.rmsNormEps)};
}
namespace {

// mix[t] = (fn · flat(X[t])) / rms(flat(X[t])): the weightless RMS over all streams.
void mixes(const HyperShape& s, const HyperConnectionWeights& w, const float* X, std::size_t tokens,
           float* mix, kernels::ThreadPool* pool) {
  const std::size_t flat = s.streams * s.hidden;
  kernels::WeightView fn{kernels::WeightFormat::F32, w.fn, nullptr, w.mixWidth, flat};
  kernels::matmul(fn, X, tokens, mix, pool);
  for (std::size_t t = 0; t < tokens; ++t) {
    const float* xt = X + t * flat;
    double sum = 0;
    for (std::size_t i = 0; i < flat; ++i) sum += double(xt[i]) * xt[i];
    const float r = 1.0f / std::sqrt(float(sum / double(flat)) + s.normEps);
    for (std::size_t k = 0; k < w.mixWidth; ++k) mix[t * w.mixWidth + k] *= r;
  }
}

}  // namespace

void hcPre(const HyperShape& s, const HyperConnectionWeights& w, const float* X, std::size_t tokens,
           float* y, float* post, float* comb, kernels::ThreadPool* pool,
           std::vector<float>& scratch) {
  const std::size_t n = s.streams, mixWidth = w.mixWidth;
  if (scratch.size() < tokens * mixWidth) scratch.resize(tokens * mixWidth);
  float* mix = scratch.data();
  mixes(s, w, X, tokens, mix, pool);
  for (std::size_t t = 0; t < tokens; ++t) {
    const float* m = mix + t * mixWidth;
    float pre[16];
    for (std::size_t i = 0; i < n; ++i) {
      pre[i] = kernels::sigmoid(m[i] * w.scale[0] + w.base[i]) + s.hcEps;
      post[t * n + i] = 2.0f * kernels::sigmoid(m[n + i] * w.scale[1] + w.base[n + i]);
    }
    float* c = comb + t * n * n;
    for (std::size_t k = 0; k < n * n; ++k) c[k] = m[2 * n + k] * w.scale[2] + w.base[2 * n + k];
    kernels::sinkhorn(c, n, s.sinkhornIters, s.hcEps);
    float* yt = y + t * s.hidden;
    const float* xt = X + t * n * s.hidden;
    for (std::size_t d = 0; d < s.hidden; ++d) {
      float acc = 0;
      for (std::size_t i = 0; i < n; ++i) acc += pre[i] * xt[i * s.hidden + d];
      yt[d] = acc;
    }
  }
}

void hcPost(const HyperShape& s, const float* f, const float* res, const float* post,
            const float* comb, std::size_t tokens, float* out) {
  kernels::hyperConnectionPost(f, res, post, comb, tokens, s.streams, s.hidden, out);
}

void hcHead(const HyperShape& s, const HyperConnectionWeights& w, const float* X,
            std::size_t tokens, float* y, kernels::ThreadPool* pool, std::vector<float>& scratch) {
  const std::size_t n = s.streams;
  if (scratch.size() < tokens * n) scratch.resize(tokens * n);
  float* mix = scratch.data();
  mixes(s, w, X, tokens, mix, pool);
  for (std::size_t t = 0; t < tokens; ++t) {
    float pre[16];
    for (std::size_t i = 0; i < n; ++i)
      pre[i] = kernels::sigmoid(mix[t * n + i] * w.scale[0] + w.base[i]) + s.hcEps;
    const float* xt = X + t * n * s.hidden;
    for (std::size_t d = 0; d < s.hidden; ++d) {
      float acc = 0;
      for (std::size_t i = 0; i < n; ++i) acc += pre[i] * xt[i * s.hidden + d];
      y[t * s.hidden + d] = acc;
    }
  }
}

}  // namespace flint::engine
