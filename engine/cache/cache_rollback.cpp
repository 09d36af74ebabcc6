#include "engine/cache/cache_rollback.h"

#include <algorithm>

namespace flint::engine {
namespace {

// Ring rows of positions start..start+n-1 (slot = position mod the ring's rows).
void copyRows(const std::vector<float>& ring, std::size_t width, std::int64_t start, std::size_t n,
              std::vector<float>& out) {
  if (width == 0 || ring.empty()) {
    out.clear();
    return;
  }
  out.resize(n * width);
  const std::size_t rows = ring.size() / width;
  for (std::size_t i = 0; i < n; ++i)
    std::copy_n(ring.data() + (std::size_t(start) + i) % rows * width, width,
                out.data() + i * width);
}

// Puts back the saved rows of positions start+from..start+n-1.
void restoreRows(std::vector<float>& ring, std::size_t width, std::int64_t start, std::size_t from,
                 std::size_t n, const std::vector<float>& saved) {
  if (width == 0 || ring.empty()) return;
  const std::size_t rows = ring.size() / width;
  for (std::size_t i = from; i < n; ++i)
    std::copy_n(saved.data() + i * width, width,
                ring.data() + (std::size_t(start) + i) % rows * width);
}

// A compressor emits entry e when position (e + 1) * ratio - 1 arrives.
void keepEntries(CompressorCache& c, std::int64_t length) {
  if (c.ratio == 0) return;
  c.entries.resize(std::min(c.entries.size(), std::size_t(length) / c.ratio * c.width));
}

}  // namespace

void CacheRollback::save(const SessionCache& cache, std::size_t tokens) {
  start_ = cache.length;
  tokens_ = tokens;
  layers_.resize(cache.layers.size());
  for (std::size_t l = 0; l < cache.layers.size(); ++l) {
    const LayerCache& layer = cache.layers[l];
    Rows& rows = layers_[l];
    copyRows(layer.window, layer.headDim, start_, tokens, rows.window);
    copyRows(layer.compressor.kv, layer.compressor.channels, start_, tokens, rows.compressorKv);
    copyRows(layer.compressor.gate, layer.compressor.channels, start_, tokens, rows.compressorGate);
    copyRows(layer.indexer.kv, layer.indexer.channels, start_, tokens, rows.indexerKv);
    copyRows(layer.indexer.gate, layer.indexer.channels, start_, tokens, rows.indexerGate);
  }
}

void CacheRollback::keepFirst(SessionCache& cache, std::size_t kept) const {
  kept = std::min(kept, tokens_);
  for (std::size_t l = 0; l < cache.layers.size(); ++l) {
    LayerCache& layer = cache.layers[l];
    const Rows& rows = layers_[l];
    restoreRows(layer.window, layer.headDim, start_, kept, tokens_, rows.window);
    restoreRows(layer.compressor.kv, layer.compressor.channels, start_, kept, tokens_,
                rows.compressorKv);
    restoreRows(layer.compressor.gate, layer.compressor.channels, start_, kept, tokens_,
                rows.compressorGate);
    restoreRows(layer.indexer.kv, layer.indexer.channels, start_, kept, tokens_, rows.indexerKv);
    restoreRows(layer.indexer.gate, layer.indexer.channels, start_, kept, tokens_,
                rows.indexerGate);
    keepEntries(layer.compressor, start_ + std::int64_t(kept));
    keepEntries(layer.indexer, start_ + std::int64_t(kept));
  }
  cache.length = start_ + std::int64_t(kept);
}

}  // namespace flint::engine
