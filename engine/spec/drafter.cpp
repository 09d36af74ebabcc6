#include "engine/spec/drafter.h"

#include "engine/model/scratch.h"
#include "kernels/cpu/quant_formats.h"
#include "kernels/cpu/vector_ops.h"

#include <algorithm>
#include <cmath>

namespace flint::engine {
namespace {

// The stages' routed experts, all mapped; `layer` is the stage.
class StageExperts final : public ExpertStore {
 public:
  explicit StageExperts(const DrafterWeights& w) : w_(w) {}
  const ExpertWeights& expert(std::size_t stage, std::size_t e) override {
    return w_.stages[stage].moe.experts[e];
  }

 private:
  const DrafterWeights& w_;
};

}  // namespace

Drafter::Drafter(const ModelFiles& files, const ModelWeights& backbone)
    : backbone_(backbone),
      w_(bindDrafterWeights(files)),
      shape_(attentionShape(files.config)),
      rope_(ropeTableFor(files.config, 0)),
      blockSize_(std::size_t(files.config.dspark->blockSize)),
      noiseId_(std::int32_t(files.config.dspark->noiseTokenId)),
      vocab_(std::size_t(files.config.vocabSize)),
      experts_(std::make_unique<StageExperts>(w_)) {
  const ModelConfig& c = files.config;
  hyper_ = hyperShape(c);
  moeShape_ = moeShape(c);
}

Drafter::~Drafter() = default;

void Drafter::project(const LinearContext& ctx, const float* taps, std::size_t tokens,
                      float* mainX) {
  linear(ctx, w_.mainProj, taps, tokens, mainX);
  rmsNormRows(ctx, mainX, tokens, hyper_.hidden, w_.mainNorm.data(), hyper_.normEps);
}

// The stage's keys for `rows` rows of x at consecutive positions, as the backbone builds its
// window keys: wkv, kv_norm, RoPE, and the kv fake-quant in official numerics.
void Drafter::stageKeys(const LinearContext& ctx, std::size_t stage, const float* x,
                        std::size_t rows, std::int64_t firstPosition, float* out) {
  projectKeys(ctx, shape_, w_.stages[stage].attn, rope_, x, rows, firstPosition, out, projection_);
}

void Drafter::stageAttention(const LinearContext& ctx, std::size_t stage, const float* x,
                             std::int64_t start, const float* contextKeys, std::size_t contextRows,
                             float* out) {
  const AttentionShape& s = shape_;
  const AttentionWeights& a = w_.stages[stage].attn;
  const std::size_t g = blockSize_, D = s.headDim, qWidth = s.heads * D, pairs = s.ropeDims / 2,
                    nope = D - s.ropeDims;
  float* cosBuf = grow(cos_, pairs);
  float* sinBuf = grow(sin_, pairs);
  float* q = grow(q_, g * qWidth);
  projectQueries(ctx, s, a, rope_, x, g, start, grow(qr_, g * s.qLoraRank), q, projection_);
  float* blockKeys = grow(kv_, g * D);
  stageKeys(ctx, stage, x, g, start, blockKeys);

  // Every query sees the whole context and the whole block: no causal mask inside the block.
  const std::size_t n = contextRows + g;
  float* scores = grow(scores_, n);
  float* o = grow(o_, g * qWidth);
  const float scale = 1.0f / std::sqrt(float(D));
  auto key = [&](std::size_t j) {
    return j < contextRows ? contextKeys + j * D : blockKeys + (j - contextRows) * D;
  };
  for (std::size_t t = 0; t < g; ++t) {
    rope_.angles(start + std::int64_t(t), cosBuf, sinBuf);
    for (std::size_t h = 0; h < s.heads; ++h) {
      const float* qh = q + t * qWidth + h * D;
      float maxScore = a.sink[h];
      for (std::size_t j = 0; j < n; ++j) {
        scores[j] = kernels::dotProduct(qh, key(j), D) * scale;
        maxScore = std::max(maxScore, scores[j]);
      }
      float denom = std::exp(a.sink[h] - maxScore);
      for (std::size_t j = 0; j < n; ++j) denom += (scores[j] = std::exp(scores[j] - maxScore));
      float* oh = o + t * qWidth + h * D;
      std::fill_n(oh, D, 0.0f);
      for (std::size_t j = 0; j < n; ++j) {
        const float p = scores[j] / denom;
        const float* k = key(j);
        for (std::size_t i = 0; i < D; ++i) oh[i] += p * k[i];
      }
      store(ctx, oh, D);
      kernels::rotatePairs(oh + nope, cosBuf, sinBuf, pairs, true);
      store(ctx, oh, D);
    }
  }
  projectOutput(ctx, s, a, o, g, out, projection_);
}

void Drafter::block(const LinearContext& ctx, const std::vector<const float*>& contextKeys,
                    std::size_t contextRows, std::int64_t start, std::int32_t anchor,
                    std::vector<float>& baseLogits, std::vector<float>& hidden) {
  const std::size_t g = blockSize_, d = hyper_.hidden, n = hyper_.streams;
  float* X = grow(X_, g * n * d);
  float* res = grow(res_, g * n * d);
  float* y = grow(y_, g * d);
  float* sub = grow(sub_, g * d);
  float* post = grow(post_, g * n);
  float* comb = grow(comb_, g * n * n);
  std::vector<std::int32_t> ids(g, noiseId_);
  ids[0] = anchor;
  for (std::size_t t = 0; t < g; ++t)
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t k = 0; k < d; ++k)
        X[(t * n + i) * d + k] = kernels::bf16ToF32(backbone_.embed[std::size_t(ids[t]) * d + k]);

  auto subLayer = [&](const HyperConnectionWeights& hc, const std::vector<float>& norm,
                      auto&& body) {
    hcPre(hyper_, hc, X, g, y, post, comb, ctx.pool, hcScratch_);
    store(ctx, y, g * d);
    rmsNormRows(ctx, y, g, d, norm.data(), hyper_.normEps);
    body();
    std::copy(X, X + g * n * d, res);
    hcPost(hyper_, sub, res, post, comb, g, X);
    store(ctx, X, g * n * d);
  };
  for (std::size_t stage = 0; stage < w_.stages.size(); ++stage) {
    const BlockWeights& b = w_.stages[stage];
    subLayer(b.hcAttn, b.attnNorm,
             [&] { stageAttention(ctx, stage, y, start, contextKeys[stage], contextRows, sub); });
    subLayer(b.hcFfn, b.ffnNorm,
             [&] { moe_.forward(ctx, moeShape_, b.moe, *experts_, stage, y, ids.data(), g, sub); });
  }
  hidden.resize(g * d);
  hcHead(hyper_, w_.hcHead, X, g, hidden.data(), ctx.pool, hcScratch_);
  store(ctx, hidden.data(), g * d);
  float* normed = grow(row_, g * d);
  std::copy(hidden.begin(), hidden.end(), normed);
  rmsNormRows(ctx, normed, g, d, w_.norm.data(), hyper_.normEps);
  baseLogits.resize(g * vocab_);
  kernels::matmul(backbone_.head, normed, g, baseLogits.data(), ctx.pool);
}

void Drafter::markov(const LinearContext& ctx, const float* base, std::int32_t previous,
                     float* out) {
  const std::size_t r = w_.markovRank;
  float* row = grow(row_, r);
  for (std::size_t i = 0; i < r; ++i)
    row[i] = kernels::bf16ToF32(w_.markovW1[std::size_t(previous) * r + i]);
  kernels::matmul(w_.markovW2, row, 1, out, ctx.pool);
  for (std::size_t v = 0; v < vocab_; ++v) out[v] += base[v];
}

float Drafter::confidence(const float* hidden, std::int32_t previous) const {
  const std::size_t d = hyper_.hidden, r = w_.markovRank;
  double sum = 0;
  for (std::size_t i = 0; i < d; ++i) sum += double(w_.confidence[i]) * hidden[i];
  for (std::size_t i = 0; i < r; ++i)
    sum += double(w_.confidence[d + i]) *
           kernels::bf16ToF32(w_.markovW1[std::size_t(previous) * r + i]);
  return float(sum);
}

}  // namespace flint::engine
