#include "engine/gpu/device_cache.h"

#include <stdexcept>
#include <string>

namespace flint::engine {

namespace {

struct LayerShape {
  std::size_t headDim, window, capacity, compressorRatio, compressorChannels;
  bool indexer;
  std::size_t indexerWidth, indexerChannels, indexerCapacity;
};

LayerShape layerShape(const ModelConfig& c, std::size_t layer, std::size_t context) {
  LayerShape s{};
  s.headDim = std::size_t(c.headDim);
  s.window = std::size_t(c.slidingWindow);
  const std::size_t ratio =
      layer < c.compressRatios.size() ? std::size_t(c.compressRatios[layer]) : 0;
  if (ratio != 0) {
    s.compressorRatio = ratio;
    s.capacity = context / ratio;
    s.compressorChannels = ratio == 4 ? 2 * s.headDim : s.headDim;
  }
  if (ratio == 4) {
    s.indexer = true;
    s.indexerWidth = std::size_t(c.indexHeadDim);
    s.indexerChannels = 2 * s.indexerWidth;
    s.indexerCapacity = context / 4;
  }
  return s;
}

std::size_t layerBytes(const LayerShape& s, std::size_t batch) {
  std::size_t floats = (s.window + batch + s.capacity) * s.headDim;
  floats += 2 * (2 * s.compressorRatio * s.compressorChannels);
  if (s.indexer) floats += 2 * (2 * 4 * s.indexerChannels) + s.indexerCapacity * s.indexerWidth;
  return floats * sizeof(float);
}

}  // namespace

std::size_t DeviceCache::bytes(const ModelConfig& config, std::size_t contextTokens,
                               std::size_t batchTokens) {
  std::size_t total = 0;
  for (std::size_t l = 0; l < std::size_t(config.numHiddenLayers); ++l)
    total += layerBytes(layerShape(config, l, contextTokens), batchTokens);
  return total;
}

DeviceCache::DeviceCache(const CudaOps& ops, const ModelConfig& config, std::size_t contextTokens,
                         std::size_t batchTokens)
    : ops_(ops), context_(contextTokens), batch_(batchTokens) {
  auto ring = [&](DeviceCompressorState& state, std::size_t ratio, std::size_t width,
                  std::size_t channels) {
    state.ratio = ratio;
    state.width = width;
    state.channels = channels;
    state.ringKv = ops.allocate(2 * ratio * channels * sizeof(float));
    state.ringGate = ops.allocate(2 * ratio * channels * sizeof(float));
  };
  for (std::size_t l = 0; l < std::size_t(config.numHiddenLayers); ++l) {
    const LayerShape s = layerShape(config, l, contextTokens);
    DeviceLayerCache layer;
    layer.headDim = s.headDim;
    layer.window = s.window;
    layer.batch = batchTokens;
    layer.capacity = s.capacity;
    layer.entries = ops.allocate((s.window + batchTokens + s.capacity) * s.headDim * sizeof(float));
    if (s.compressorRatio != 0) {
      layer.hasCompressor = true;
      ring(layer.compressor, s.compressorRatio, s.headDim, s.compressorChannels);
    }
    if (s.indexer) {
      layer.hasIndexer = true;
      ring(layer.indexer, 4, s.indexerWidth, s.indexerChannels);
      layer.indexerCapacity = s.indexerCapacity;
      layer.indexerKeys = ops.allocate(s.indexerCapacity * s.indexerWidth * sizeof(float));
    }
    layers.push_back(std::move(layer));
  }
  clear();
}

void DeviceCache::clear() {
  length = 0;
  auto zero = [&](const DeviceBuffer& b) {
    if (b.bytes() != 0) ops_.fill(b.data(), 0, b.bytes());
  };
  for (const DeviceLayerCache& l : layers) {
    zero(l.entries);
    zero(l.compressor.ringKv);
    zero(l.compressor.ringGate);
    zero(l.indexer.ringKv);
    zero(l.indexer.ringGate);
    zero(l.indexerKeys);
  }
}

namespace {

void downloadCompressor(const CudaOps& ops, const DeviceCompressorState& d, const float* entries,
                        std::size_t count, CompressorCache& h) {
  h.ratio = d.ratio;
  h.width = d.width;
  h.channels = d.channels;
  h.kv = ops.download<float>(d.ringKv.data(), 2 * d.ratio * d.channels);
  h.gate = ops.download<float>(d.ringGate.data(), 2 * d.ratio * d.channels);
  h.entries = ops.download<float>(entries, count * d.width);
}

void uploadCompressor(const CudaOps& ops, const CompressorCache& h, DeviceCompressorState& d,
                      float* entries) {
  if (h.kv.size() != 2 * d.ratio * d.channels || h.width != d.width)
    throw std::invalid_argument("the session's compressor state does not fit this model");
  ops.copyToDevice(d.ringKv.data(), h.kv.data(), h.kv.size() * sizeof(float));
  ops.copyToDevice(d.ringGate.data(), h.gate.data(), h.gate.size() * sizeof(float));
  if (!h.entries.empty())
    ops.copyToDevice(entries, h.entries.data(), h.entries.size() * sizeof(float));
}

}  // namespace

SessionCache DeviceCache::download() const {
  SessionCache host;
  host.length = length;
  const std::size_t positions = std::size_t(length);
  for (const DeviceLayerCache& d : layers) {
    LayerCache h;
    h.headDim = d.headDim;
    h.window = ops_.download<float>(d.entries.data(), d.window * d.headDim);
    if (d.hasCompressor)
      downloadCompressor(ops_, d.compressor, d.row(d.compressedRow()),
                         positions / d.compressor.ratio, h.compressor);
    if (d.hasIndexer)
      downloadCompressor(ops_, d.indexer, d.indexerKeys.as<float>(), positions / 4, h.indexer);
    host.layers.push_back(std::move(h));
  }
  return host;
}

void DeviceCache::upload(const SessionCache& host) {
  if (host.length < 0 || std::size_t(host.length) > context_)
    throw std::invalid_argument("the session holds " + std::to_string(host.length) +
                                " tokens; the GPU cache holds " + std::to_string(context_));
  if (host.layers.size() != layers.size())
    throw std::invalid_argument("the session's cache does not fit this model");
  clear();
  for (std::size_t l = 0; l < layers.size(); ++l) {
    DeviceLayerCache& d = layers[l];
    const LayerCache& h = host.layers[l];
    if (h.window.size() != d.window * d.headDim)
      throw std::invalid_argument("the session's window does not fit this model");
    ops_.copyToDevice(d.entries.data(), h.window.data(), h.window.size() * sizeof(float));
    if (d.hasCompressor)
      uploadCompressor(ops_, h.compressor, d.compressor, d.row(d.compressedRow()));
    if (d.hasIndexer) uploadCompressor(ops_, h.indexer, d.indexer, d.indexerKeys.as<float>());
  }
  length = host.length;
}

}  // namespace flint::engine
