#include "engine/gpu/device_cache_rollback.h"

#include <algorithm>

namespace flint::engine {

namespace {

// Copies the rows of positions start+from..start+n-1 between a ring of `rows` rows and a
// backup of n rows (backup row i: position start+i), in runs of consecutive slots, in order.
void copyRuns(const CudaOps& ops, float* ring, std::size_t rows, std::size_t width, float* backup,
              std::int64_t start, std::size_t from, std::size_t n, bool toBackup) {
  const std::size_t pitch = width * sizeof(float);
  for (std::size_t i = from; i < n;) {
    const std::size_t slot = (std::size_t(start) + i) % rows, run = std::min(n - i, rows - slot);
    float* ringRows = ring + slot * width;
    float* saved = backup + i * width;
    if (toBackup)
      ops.copy2d(saved, pitch, ringRows, pitch, pitch, run);
    else
      ops.copy2d(ringRows, pitch, saved, pitch, pitch, run);
    i += run;
  }
}

}  // namespace

template <typename Fn>
void DeviceCacheRollback::forEachRing(const DeviceCache& cache, Fn&& fn) const {
  std::size_t offset = 0;
  auto ring = [&](float* data, std::size_t rows, std::size_t width) {
    if (!data || rows == 0 || width == 0) return;
    fn(data, rows, width, offset);
    offset += tokens_ * width;
  };
  for (const DeviceLayerCache& l : cache.layers) {
    ring(l.entries.as<float>(), l.window, l.headDim);
    const std::size_t compressorRows = 2 * l.compressor.ratio, indexerRows = 2 * l.indexer.ratio;
    ring(l.compressor.ringKv.as<float>(), compressorRows, l.compressor.channels);
    ring(l.compressor.ringGate.as<float>(), compressorRows, l.compressor.channels);
    ring(l.indexer.ringKv.as<float>(), indexerRows, l.indexer.channels);
    ring(l.indexer.ringGate.as<float>(), indexerRows, l.indexer.channels);
  }
  fn(nullptr, 0, 0, offset);  // the total, for sizing
}

void DeviceCacheRollback::save(const DeviceCache& cache, std::size_t tokens) {
  start_ = cache.length;
  tokens_ = tokens;
  std::size_t total = 0;
  forEachRing(cache, [&](float* ring, std::size_t, std::size_t, std::size_t offset) {
    if (!ring) total = offset;
  });
  if (backup_.bytes() < total * sizeof(float)) backup_ = ops_.allocate(total * sizeof(float));
  forEachRing(cache, [&](float* ring, std::size_t rows, std::size_t width, std::size_t offset) {
    if (ring)
      copyRuns(ops_, ring, rows, width, backup_.as<float>() + offset, start_, 0, tokens_, true);
  });
}

void DeviceCacheRollback::keepFirst(DeviceCache& cache, std::size_t kept) const {
  kept = std::min(kept, tokens_);
  forEachRing(cache, [&](float* ring, std::size_t rows, std::size_t width, std::size_t offset) {
    if (ring)
      copyRuns(ops_, ring, rows, width, backup_.as<float>() + offset, start_, kept, tokens_, false);
  });
  cache.length = start_ + std::int64_t(kept);
}

}  // namespace flint::engine
