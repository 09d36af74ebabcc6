#pragma once
// Undo for the tail of an append: before a speculative verify pass appends n positions, save
// what those positions overwrite (window ring rows, compressor ring rows) and how many entries
// the compressors held; after verification, keep the first m positions and restore the rest,
// so the cache equals the one plain decoding of those m positions would have built.
#include "engine/cache/session_cache.h"

#include <cstddef>
#include <vector>

namespace flint::engine {

class CacheRollback {
 public:
  // Saves what appending `tokens` positions to `cache` will overwrite.
  void save(const SessionCache& cache, std::size_t tokens);

  // Keeps the first `kept` of the saved positions (kept <= tokens) and undoes the others.
  void keepFirst(SessionCache& cache, std::size_t kept) const;

 private:
  struct Rows {
    std::vector<float> window, compressorKv, compressorGate, indexerKv, indexerGate;
  };
  std::int64_t start_ = 0;
  std::size_t tokens_ = 0;
  std::vector<Rows> layers_;
};

}  // namespace flint::engine
