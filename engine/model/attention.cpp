#include "engine/model/attention.h"

#include "engine/model/compressor.h"
#include "engine/model/scratch.h"
#include "kernels/cpu/vector_ops.h"

#include <algorithm>
#include <cmath>

namespace flint::engine {

AttentionShape attentionShape(const ModelConfig& c) {
  AttentionShape s;
  s.hidden = std::size_t(c.hiddenSize);
  s.heads = std::size_t(c.numAttentionHeads);
  s.headDim = std::size_t(c.headDim);
  s.ropeDims = std::size_t(c.qkRopeHeadDim);
  s.qLoraRank = std::size_t(c.qLoraRank);
  s.oGroups = std::size_t(c.oGroups);
  s.oLoraRank = std::size_t(c.oLoraRank);
  s.window = std::size_t(c.slidingWindow);
  s.indexHeads = std::size_t(c.indexNHeads);
  s.indexHeadDim = std::size_t(c.indexHeadDim);
  s.indexTopk = std::size_t(c.indexTopk);
  s.eps = float(c.rmsNormEps);
  return s;
}

void projectQueries(const LinearContext& ctx, const AttentionShape& s, const AttentionWeights& w,
                    const RopeTable& rope, const float* x, std::size_t tokens, std::int64_t start,
                    float* qr, float* q, ProjectionScratch& scratch) {
  const std::size_t qWidth = s.heads * s.headDim, pairs = s.ropeDims / 2;
  const std::size_t nope = s.headDim - s.ropeDims;
  float* cosBuf = grow(scratch.cos, pairs);
  float* sinBuf = grow(scratch.sin, pairs);
  linear(ctx, w.wqA, x, tokens, qr);
  for (std::size_t t = 0; t < tokens; ++t)
    kernels::rmsNorm(qr + t * s.qLoraRank, w.qNorm.data(), s.qLoraRank, s.eps,
                     qr + t * s.qLoraRank);
  linear(ctx, w.wqB, qr, tokens, q);
  for (std::size_t t = 0; t < tokens; ++t) {
    rope.angles(start + std::int64_t(t), cosBuf, sinBuf);
    for (std::size_t h = 0; h < s.heads; ++h) {
      float* qh = q + t * qWidth + h * s.headDim;
      kernels::rmsNorm(qh, nullptr, s.headDim, s.eps, qh);
      kernels::rotatePairs(qh + nope, cosBuf, sinBuf, pairs, false);
    }
  }
}

void projectKeys(const LinearContext& ctx, const AttentionShape& s, const AttentionWeights& w,
                 const RopeTable& rope, const float* x, std::size_t tokens, std::int64_t start,
                 float* kv, ProjectionScratch& scratch) {
  const std::size_t pairs = s.ropeDims / 2, nope = s.headDim - s.ropeDims;
  float* cosBuf = grow(scratch.cos, pairs);
  float* sinBuf = grow(scratch.sin, pairs);
  linear(ctx, w.wkv, x, tokens, kv);
  for (std::size_t t = 0; t < tokens; ++t) {
    rope.angles(start + std::int64_t(t), cosBuf, sinBuf);
    float* k = kv + t * s.headDim;
    kernels::rmsNorm(k, w.kvNorm.data(), s.headDim, s.eps, k);
    kernels::rotatePairs(k + nope, cosBuf, sinBuf, pairs, false);
    if (ctx.numerics == Numerics::Official) kernels::fakeQuantE4m3(k, nope, 64);
  }
}

void projectOutput(const LinearContext& ctx, const AttentionShape& s, const AttentionWeights& w,
                   const float* o, std::size_t tokens, float* out, ProjectionScratch& scratch) {
  const std::size_t qWidth = s.heads * s.headDim, groupWidth = qWidth / s.oGroups;
  float* z = grow(scratch.z, tokens * s.oGroups * s.oLoraRank);
  float* group = grow(scratch.group, tokens * groupWidth);
  float* zg = grow(scratch.zg, tokens * s.oLoraRank);
  for (std::size_t g = 0; g < s.oGroups; ++g) {
    for (std::size_t t = 0; t < tokens; ++t)
      std::copy_n(o + t * qWidth + g * groupWidth, groupWidth, group + t * groupWidth);
    // wo_a runs as a bf16 product in the official code: no FP8 rounding of its input.
    kernels::matmul(kernels::rowsOf(w.woA, g * s.oLoraRank, s.oLoraRank), group, tokens, zg,
                    ctx.pool);
    store(ctx, zg, tokens * s.oLoraRank);
    for (std::size_t t = 0; t < tokens; ++t)
      std::copy_n(zg + t * s.oLoraRank, s.oLoraRank,
                  z + t * s.oGroups * s.oLoraRank + g * s.oLoraRank);
  }
  linear(ctx, w.woB, z, tokens, out);
}

Attention::Attention(const AttentionShape& shape, const AttentionWeights& weights,
                     std::int64_t ratio, RopeTable rope)
    : s_(shape), w_(weights), ratio_(ratio), rope_(std::move(rope)) {}

void Attention::initCache(LayerCache& cache) const {
  cache.headDim = s_.headDim;
  cache.window.assign(s_.window * s_.headDim, 0.0f);
  if (w_.hasCompressor) initCompressorCache(cache.compressor, std::size_t(ratio_), s_.headDim);
  if (w_.hasIndexer) initCompressorCache(cache.indexer, 4, s_.indexHeadDim);
}

void Attention::forward(const LinearContext& ctx, const float* x, std::size_t tokens,
                        std::int64_t start, LayerCache& cache, float* out) {
  const AttentionShape& s = s_;
  const std::size_t qWidth = s.heads * s.headDim, pairs = s.ropeDims / 2;
  float* cosBuf = grow(cos_, pairs);
  float* sinBuf = grow(sin_, pairs);

  // Projections for every token at once; the cache walk below is sequential.
  float* qr = grow(qr_, tokens * s.qLoraRank);
  projectQueries(ctx, s, w_, rope_, x, tokens, start, qr, grow(q_, tokens * qWidth), projection_);
  projectKeys(ctx, s, w_, rope_, x, tokens, start, grow(kv_, tokens * s.headDim), projection_);
  if (w_.hasCompressor) {
    const std::size_t c = cache.compressor.channels;
    linear(ctx, w_.compressor.wkv, x, tokens, grow(ck_, tokens * c));
    linear(ctx, w_.compressor.wgate, x, tokens, grow(cg_, tokens * c));
  }
  if (w_.hasIndexer) {
    const std::size_t width = s.indexHeads * s.indexHeadDim, ipairs = s.ropeDims / 2;
    float* qi = grow(qi_, tokens * width);
    linear(ctx, w_.indexerWqB, qr, tokens, qi);
    for (std::size_t t = 0; t < tokens; ++t) {
      rope_.angles(start + std::int64_t(t), cosBuf, sinBuf);
      for (std::size_t h = 0; h < s.indexHeads; ++h) {
        float* qh = qi + t * width + h * s.indexHeadDim;
        kernels::rotatePairs(qh + s.indexHeadDim - 2 * ipairs, cosBuf, sinBuf, ipairs, false);
        store(ctx, qh, s.indexHeadDim);
        kernels::hadamardNormalized(qh, s.indexHeadDim);
        if (ctx.numerics == Numerics::Official) kernels::fakeQuantE2m1(qh, s.indexHeadDim, 32);
      }
    }
    float* iw = grow(iw_, tokens * s.indexHeads);
    linear(ctx, w_.indexerWeightsProj, x, tokens, iw);
    const float scale = 1.0f / std::sqrt(float(s.indexHeadDim)) / std::sqrt(float(s.indexHeads));
    for (std::size_t i = 0; i < tokens * s.indexHeads; ++i) iw[i] *= scale;
    const std::size_t c = cache.indexer.channels;
    kernels::matmul(w_.indexerCompressor.wkv, x, tokens, grow(ik_, tokens * c), ctx.pool);
    kernels::matmul(w_.indexerCompressor.wgate, x, tokens, grow(ig_, tokens * c), ctx.pool);
  }

  grow(o_, tokens * qWidth);
  for (std::size_t t = 0; t < tokens; ++t) attendOne(ctx, t, start + std::int64_t(t), cache);

  projectOutput(ctx, s, w_, o_.data(), tokens, out, projection_);
}

void Attention::selectIndexed(const LinearContext& ctx, std::size_t t, const LayerCache& cache,
                              std::size_t usable) {
  const AttentionShape& s = s_;
  const std::size_t width = s.indexHeads * s.indexHeadDim;
  const float* qi = qi_.data() + t * width;
  const float* iw = iw_.data() + t * s.indexHeads;
  std::vector<float>& scores = scores_;
  if (scores.size() < usable) scores.resize(usable);
  for (std::size_t e = 0; e < usable; ++e) {
    const float* key = cache.indexer.entries.data() + e * s.indexHeadDim;
    float score = 0;
    for (std::size_t h = 0; h < s.indexHeads; ++h)
      score +=
          iw[h] * std::max(0.0f, kernels::dotProduct(qi + h * s.indexHeadDim, key, s.indexHeadDim));
    scores[e] = score;
  }
  store(ctx, scores.data(), usable);  // bf16 scores tie often: top-k breaks ties to the lower index
  picked_.resize(std::min(s.indexTopk, usable));
  kernels::topK(scores.data(), usable, picked_.size(), picked_.data());
}

void Attention::attendOne(const LinearContext& ctx, std::size_t t, std::int64_t pos,
                          LayerCache& cache) {
  const AttentionShape& s = s_;
  const std::size_t D = s.headDim, qWidth = s.heads * D, pairs = s.ropeDims / 2,
                    nope = D - s.ropeDims;
  const float* k = kv_.data() + t * D;
  std::copy_n(k, D, cache.window.data() + (std::size_t(pos) % s.window) * D);

  if (w_.hasCompressor) {
    const std::size_t c = cache.compressor.channels;
    const bool official = ctx.numerics == Numerics::Official;
    if (pushCompressorToken(cache.compressor, w_.compressor, rope_, pos, ck_.data() + t * c,
                            cg_.data() + t * c, s.eps, official) &&
        official)
      kernels::fakeQuantE4m3(cache.compressor.entries.data() + cache.compressor.entries.size() - D,
                             nope, 64);
  }
  if (w_.hasIndexer) {
    const std::size_t c = cache.indexer.channels, width = s.indexHeadDim;
    if (pushCompressorToken(cache.indexer, w_.indexerCompressor, rope_, pos, ik_.data() + t * c,
                            ig_.data() + t * c, s.eps, ctx.numerics == Numerics::Official)) {
      float* entry = cache.indexer.entries.data() + cache.indexer.entries.size() - width;
      kernels::hadamardNormalized(entry, width);
      if (ctx.numerics == Numerics::Official) kernels::fakeQuantE2m1(entry, width, 32);
    }
  }

  // Keys: the window (oldest first), then the compressed entries this query may see.
  keys_.clear();
  const std::int64_t first = std::max<std::int64_t>(0, pos - std::int64_t(s.window) + 1);
  for (std::int64_t p = first; p <= pos; ++p)
    keys_.push_back(cache.window.data() + (std::size_t(p) % s.window) * D);
  if (w_.hasCompressor) {
    const std::size_t usable = std::size_t(pos + 1) / std::size_t(ratio_);
    if (w_.hasIndexer) {
      selectIndexed(ctx, t, cache, usable);
      for (std::int32_t e : picked_)
        keys_.push_back(cache.compressor.entries.data() + std::size_t(e) * D);
    } else {
      for (std::size_t e = 0; e < usable; ++e)
        keys_.push_back(cache.compressor.entries.data() + e * D);
    }
  }

  const float scale = 1.0f / std::sqrt(float(D));
  std::vector<float>& scores = scores_;
  if (scores.size() < keys_.size()) scores.resize(keys_.size());
  float* cosines = grow(cos_, pairs);
  float* sines = grow(sin_, pairs);
  rope_.angles(pos, cosines, sines);
  for (std::size_t h = 0; h < s.heads; ++h) {
    const float* qh = q_.data() + t * qWidth + h * D;
    float maxScore = w_.sink[h];  // the sink joins the max for stability; it adds no value
    for (std::size_t j = 0; j < keys_.size(); ++j) {
      scores[j] = kernels::dotProduct(qh, keys_[j], D) * scale;
      maxScore = std::max(maxScore, scores[j]);
    }
    float denom = std::exp(w_.sink[h] - maxScore);
    for (std::size_t j = 0; j < keys_.size(); ++j)
      denom += (scores[j] = std::exp(scores[j] - maxScore));
    float* oh = o_.data() + t * qWidth + h * D;
    std::fill_n(oh, D, 0.0f);
    for (std::size_t j = 0; j < keys_.size(); ++j) {
      const float p = scores[j] / denom;
      for (std::size_t i = 0; i < D; ++i) oh[i] += p * keys_[j][i];
    }
    // V = K carries the rotation: undo it at the query position.
    store(ctx, oh, D);
    kernels::rotatePairs(oh + nope, cosines, sines, pairs, true);
    store(ctx, oh, D);
  }
}

}  // namespace flint::engine
