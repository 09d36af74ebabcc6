#pragma once
// One sequence's attention state (deepseek-v4.md §4.10): per layer a window ring of the last
// sliding_window kv vectors, and for compressed layers the compressor's recent rows and the
// entries it has emitted (plus the indexer's own compressor in CSA layers).
#include <cstdint>
#include <vector>

namespace flint::engine {

struct CompressorCache {
  std::size_t ratio = 0;     // tokens per entry
  std::size_t width = 0;     // entry width (head_dim, or index_head_dim for the indexer)
  std::size_t channels = 0;  // 2 * width with overlap (CSA), else width
  // The last 2 * ratio tokens' projected kv and gate rows (gate with ape added), by
  // position mod 2 * ratio: the window being filled and, for CSA, the one before it.
  std::vector<float> kv, gate;
  std::vector<float> entries;  // [entryCount, width], normed and rotated

  std::size_t entryCount() const { return width ? entries.size() / width : 0; }
};

struct LayerCache {
  std::size_t headDim = 0;
  std::vector<float> window;  // [sliding_window, head_dim] by position mod sliding_window
  CompressorCache compressor;
  CompressorCache indexer;
};

struct SessionCache {
  std::int64_t length = 0;  // positions processed so far
  std::vector<LayerCache> layers;
};

}  // namespace flint::engine
