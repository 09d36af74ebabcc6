#pragma once
// One session's attention state in device memory, laid out as SessionCache is on the host so
// that saving, loading and testing are plain copies. Per layer, one entry array of headDim-wide
// rows that sparse attention indexes:
//   [0, window)                     the window ring, by position mod window
//   [window, window + batch)        the current pass's own kv rows (a pass may be longer than
//                                   the window, so its rows cannot all live in the ring yet)
//   [window + batch, ... capacity)  the compressor's entries, in order (CSA and HCA layers)
// plus the compressor's rings, and the indexer's rings and keys in CSA layers. Capacities are
// fixed at creation: contextTokens positions, passes of at most batchTokens.
#include "engine/backend/cuda_ops.h"
#include "engine/cache/session_cache.h"
#include "engine/model/model_config.h"
#include "engine/model/numerics.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace flint::engine {

struct DeviceCompressorState {
  std::size_t ratio = 0, width = 0, channels = 0;
  DeviceBuffer ringKv, ringGate;  // [2 * ratio, channels]
};

struct DeviceLayerCache {
  std::size_t headDim = 0, window = 0, batch = 0, capacity = 0;  // capacity: compressed rows
  DeviceBuffer entries;  // [window + batch + capacity, headDim]
  bool hasCompressor = false, hasIndexer = false;
  DeviceCompressorState compressor;
  DeviceCompressorState indexer;
  DeviceBuffer indexerKeys;  // [contextTokens / 4, indexHeadDim]
  std::size_t indexerCapacity = 0;

  float* row(std::size_t r) const { return entries.as<float>() + r * headDim; }
  std::size_t batchRow() const { return window; }
  std::size_t compressedRow() const { return window + batch; }
};

class DeviceCache {
 public:
  DeviceCache(const CudaOps& ops, const ModelConfig& config, std::size_t contextTokens,
              std::size_t batchTokens);

  // Bytes a cache of these capacities takes.
  static std::size_t bytes(const ModelConfig& config, std::size_t contextTokens,
                           std::size_t batchTokens);

  std::size_t contextTokens() const { return context_; }
  std::size_t batchTokens() const { return batch_; }
  std::int64_t length = 0;
  std::vector<DeviceLayerCache> layers;
  // Per layer, the decode step's attention half as recorded over this cache's buffers, and the
  // numerics it was recorded in (CudaTransformer owns what they mean).
  std::vector<CudaGraph> decodeGraphs;
  std::optional<Numerics> graphNumerics;

  // Forget every position (the memory stays).
  void clear();
  // The same state as a host SessionCache, and back; upload throws std::invalid_argument
  // when `host` holds more positions than this cache's capacity.
  SessionCache download() const;
  void upload(const SessionCache& host);

 private:
  const CudaOps& ops_;
  std::size_t context_, batch_;
};

}  // namespace flint::engine
