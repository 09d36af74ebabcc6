#include "engine/cache/kv_bytes.h"

namespace flint::engine {
namespace {

constexpr std::size_t kFloat = sizeof(float);

std::size_t bytesOf(const std::vector<float>& v) {
  return v.size() * kFloat;
}

}  // namespace

KvBytes measureKvBytes(const SessionCache& cache) {
  KvBytes b;
  for (const LayerCache& layer : cache.layers) {
    b.window += bytesOf(layer.window);
    for (const CompressorCache* c : {&layer.compressor, &layer.indexer})
      b.compressorState += bytesOf(c->kv) + bytesOf(c->gate);
    if (layer.compressor.ratio == 4)
      b.csa += bytesOf(layer.compressor.entries);
    else
      b.hca += bytesOf(layer.compressor.entries);
    b.indexer += bytesOf(layer.indexer.entries);
  }
  return b;
}

KvBytes expectedKvBytes(const ModelConfig& config, std::int64_t tokens) {
  KvBytes b;
  const auto D = std::size_t(config.headDim), indexD = std::size_t(config.indexHeadDim);
  for (std::int64_t l = 0; l < config.numHiddenLayers; ++l) {
    const auto ratio = std::size_t(config.compressRatios[std::size_t(l)]);
    const std::size_t entries = ratio ? std::size_t(tokens) / ratio : 0;
    b.window += std::size_t(config.slidingWindow) * D * kFloat;
    switch (config.layerAttention(l)) {
      case LayerAttention::Window:
        break;
      case LayerAttention::Csa:  // overlapping windows: 2 * width channels, kv and gate rows
        b.compressorState += 2 * (2 * ratio * 2 * D + 2 * ratio * 2 * indexD) * kFloat;
        b.csa += entries * D * kFloat;
        b.indexer += entries * indexD * kFloat;
        break;
      case LayerAttention::Hca:
        b.compressorState += 2 * (2 * ratio * D) * kFloat;
        b.hca += entries * D * kFloat;
        break;
    }
  }
  return b;
}

KvGrowth specKvGrowthBf16(const ModelConfig& config) {
  KvGrowth g;
  for (std::int64_t l = 0; l < config.numHiddenLayers; ++l) {
    const double ratio = double(config.compressRatios[std::size_t(l)]);
    switch (config.layerAttention(l)) {
      case LayerAttention::Window:
        break;
      case LayerAttention::Csa:
        g.csa += 2.0 * double(config.headDim) / ratio;
        g.indexer += 2.0 * double(config.indexHeadDim) / ratio;
        break;
      case LayerAttention::Hca:
        g.hca += 2.0 * double(config.headDim) / ratio;
        break;
    }
  }
  return g;
}

}  // namespace flint::engine
