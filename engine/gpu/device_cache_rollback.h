#pragma once
// CacheRollback for a DeviceCache: before a verify pass appends n positions, the ring rows
// those positions will overwrite (window, compressor and indexer rings) are copied aside on
// the device; keepFirst() copies back the rows of the positions not kept. Compressed entries
// need no undo: the cache's length decides how many of them count.
#include "engine/backend/cuda_ops.h"
#include "engine/gpu/device_cache.h"

#include <cstddef>
#include <cstdint>

namespace flint::engine {

class DeviceCacheRollback {
 public:
  explicit DeviceCacheRollback(const CudaOps& ops) : ops_(ops) {}

  // Saves what appending `tokens` positions to `cache` will overwrite.
  void save(const DeviceCache& cache, std::size_t tokens);
  // Keeps the first `kept` of the saved positions (kept <= tokens) and undoes the others.
  void keepFirst(DeviceCache& cache, std::size_t kept) const;

 private:
  // Visits every ring of `cache` as (ring, rows, width) with its backup's offset in floats.
  template <typename Fn>
  void forEachRing(const DeviceCache& cache, Fn&& fn) const;

  const CudaOps& ops_;
  std::int64_t start_ = 0;
  std::size_t tokens_ = 0;
  DeviceBuffer backup_;
};

}  // namespace flint::engine
