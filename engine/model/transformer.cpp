#include "engine/model/transformer.h"

#include "engine/model/scratch.h"
#include "kernels/cpu/quant_formats.h"
#include "kernels/cpu/vector_ops.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace flint::engine {

Transformer::Transformer(ModelFiles files, kernels::ThreadPool* pool)
    : files_(std::move(files)),
      weights_(bindModelWeights(files_)),
      pool_(pool),
      resident_(weights_),
      experts_(&resident_) {
  const ModelConfig& c = files_.config;
  hyper_ = hyperShape(c);
  moeShape_ = moeShape(c);
  const AttentionShape shape = attentionShape(c);
  attention_.reserve(weights_.layers.size());
  for (std::size_t l = 0; l < weights_.layers.size(); ++l) {
    const std::int64_t ratio = weights_.layers[l].ratio;
    attention_.emplace_back(shape, weights_.layers[l].attn, ratio, ropeTableFor(c, ratio));
  }
}

std::size_t Transformer::weightBytesPerToken() const {
  const ModelConfig& c = files_.config;
  const std::size_t d = std::size_t(c.hiddenSize);
  auto hc = [&](const HyperConnectionWeights& w) {
    return w.mixWidth * hyper_.streams * d * sizeof(float);
  };
  auto expert = [](const ExpertWeights& e) { return e.w1.bytes() + e.w2.bytes() + e.w3.bytes(); };
  std::size_t total = weights_.head.bytes() + hc(weights_.hcHead) + d * 2;
  for (const BlockWeights& l : weights_.layers) {
    const AttentionWeights& a = l.attn;
    total += hc(l.hcAttn) + hc(l.hcFfn);
    total += a.wqA.bytes() + a.wqB.bytes() + a.wkv.bytes() + a.woA.bytes() + a.woB.bytes();
    if (a.hasCompressor) total += a.compressor.wkv.bytes() + a.compressor.wgate.bytes();
    if (a.hasIndexer)
      total += a.indexerWqB.bytes() + a.indexerWeightsProj.bytes() +
               a.indexerCompressor.wkv.bytes() + a.indexerCompressor.wgate.bytes();
    total += l.moe.gate.bytes() + expert(l.moe.shared);
    total += std::size_t(c.numExpertsPerTok) * expert(l.moe.experts.front());
  }
  return total;
}

SessionCache Transformer::newCache() const {
  SessionCache cache;
  cache.layers.resize(attention_.size());
  for (std::size_t l = 0; l < attention_.size(); ++l) attention_[l].initCache(cache.layers[l]);
  return cache;
}

void recordDrafterTap(const ModelConfig& config, std::size_t layer, const float* X,
                      std::size_t tokens, std::size_t n, std::size_t d, std::vector<float>& taps) {
  const auto& ids = config.dspark->targetLayerIds;
  const auto it = std::find(ids.begin(), ids.end(), std::int64_t(layer));
  if (it == ids.end()) return;
  const std::size_t slot = std::size_t(it - ids.begin()), count = ids.size();
  taps.resize(tokens * count * d);
  for (std::size_t t = 0; t < tokens; ++t) {
    float* out = taps.data() + (t * count + slot) * d;
    for (std::size_t k = 0; k < d; ++k) {
      float sum = 0;
      for (std::size_t i = 0; i < n; ++i) sum += X[(t * n + i) * d + k];
      out[k] = sum / float(n);
    }
  }
}

void Transformer::forward(std::span<const std::int32_t> ids, SessionCache& cache, Numerics numerics,
                          bool allPositions, std::vector<float>& logits, std::vector<float>* taps) {
  const ModelConfig& c = files_.config;
  const std::size_t tokens = ids.size(), d = hyper_.hidden, n = hyper_.streams;
  if (tokens == 0) throw std::invalid_argument("no tokens to run");
  for (std::int32_t id : ids)
    if (id < 0 || id >= c.vocabSize)
      throw std::invalid_argument("token id " + std::to_string(id) +
                                  " is outside the vocabulary (0.." +
                                  std::to_string(c.vocabSize - 1) + ")");
  if (cache.length + std::int64_t(tokens) > c.maxPositionEmbeddings)
    throw std::invalid_argument(
        "the sequence would be " + std::to_string(cache.length + std::int64_t(tokens)) +
        " tokens long; this model's limit is " + std::to_string(c.maxPositionEmbeddings));

  const LinearContext ctx{numerics, pool_};
  float* X = grow(X_, tokens * n * d);
  float* res = grow(res_, tokens * n * d);
  float* y = grow(y_, tokens * d);
  float* sub = grow(sub_, tokens * d);
  float* post = grow(post_, tokens * n);
  float* comb = grow(comb_, tokens * n * n);

  for (std::size_t t = 0; t < tokens; ++t)
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t k = 0; k < d; ++k)
        X[(t * n + i) * d + k] = kernels::bf16ToF32(weights_.embed[std::size_t(ids[t]) * d + k]);

  auto subLayer = [&](const HyperConnectionWeights& hc, const std::vector<float>& norm,
                      auto&& body) {
    hcPre(hyper_, hc, X, tokens, y, post, comb, pool_, hcScratch_);
    store(ctx, y, tokens * d);
    rmsNormRows(ctx, y, tokens, d, norm.data(), hyper_.normEps);
    body();
    std::copy(X, X + tokens * n * d, res);
    hcPost(hyper_, sub, res, post, comb, tokens, X);
    store(ctx, X, tokens * n * d);
  };

  lastDistinctExperts_ = 0;
  // A hash-routed first layer's experts follow from the ids: their reads overlap its attention.
  if (lookAhead_ && !weights_.layers.empty() && !weights_.layers.front().moe.tid2eid.empty())
    moe_.lookAhead(ctx, moeShape_, weights_.layers.front().moe, *experts_, 0, nullptr, ids.data(),
                   tokens);
  for (std::size_t l = 0; l < weights_.layers.size(); ++l) {
    const BlockWeights& layer = weights_.layers[l];
    subLayer(layer.hcAttn, layer.attnNorm,
             [&] { attention_[l].forward(ctx, y, tokens, cache.length, cache.layers[l], sub); });
    subLayer(layer.hcFfn, layer.ffnNorm, [&] {
      const bool last = l + 1 == weights_.layers.size();
      moe_.forward(ctx, moeShape_, layer.moe, *experts_, l, y, ids.data(), tokens, sub,
                   lookAhead_ && !last ? &weights_.layers[l + 1].moe : nullptr);
      lastDistinctExperts_ += moe_.distinctExperts();
    });
    if (taps && c.dspark) recordDrafterTap(c, l, X, tokens, n, d, *taps);
  }
  cache.length += std::int64_t(tokens);

  // Only the rows whose logits are wanted go through the head.
  const std::size_t first = allPositions ? 0 : tokens - 1, rows = tokens - first;
  hcHead(hyper_, weights_.hcHead, X + first * n * d, rows, y, pool_, hcScratch_);
  store(ctx, y, rows * d);
  rmsNormRows(ctx, y, rows, d, weights_.norm.data(), hyper_.normEps);
  logits.resize(rows * std::size_t(c.vocabSize));
  kernels::matmul(weights_.head, y, rows, logits.data(), pool_);
}

}  // namespace flint::engine
