#include "engine/model/compressor.h"

#include "kernels/cpu/vector_ops.h"

#include <cmath>
#include <limits>

namespace flint::engine {

void initCompressorCache(CompressorCache& cache, std::size_t ratio, std::size_t width) {
  cache.ratio = ratio;
  cache.width = width;
  cache.channels = ratio == 4 ? 2 * width : width;
  cache.kv.assign(2 * ratio * cache.channels, 0.0f);
  cache.gate.assign(2 * ratio * cache.channels, 0.0f);
  cache.entries.clear();
}

bool pushCompressorToken(CompressorCache& cache, const CompressorWeights& w, const RopeTable& rope,
                         std::int64_t pos, const float* kv, const float* gate, float eps,
                         bool roundToBf16) {
  const std::size_t m = cache.ratio, c = cache.channels, width = cache.width;
  const std::size_t slot = std::size_t(pos) % (2 * m);
  const std::size_t inWindow = std::size_t(pos) % m;
  float* kvRow = cache.kv.data() + slot * c;
  float* gateRow = cache.gate.data() + slot * c;
  for (std::size_t ch = 0; ch < c; ++ch) {
    kvRow[ch] = kv[ch];
    gateRow[ch] = gate[ch] + w.ape[inWindow * c + ch];
  }
  if (inWindow != m - 1) return false;

  // The window [first, pos] is complete; CSA also reads [first - m, first) when it exists.
  const std::int64_t first = pos - std::int64_t(m) + 1;
  const bool overlap = c == 2 * width;
  const bool hasPrevious = overlap && first >= std::int64_t(m);
  const std::size_t entry = cache.entries.size();
  cache.entries.resize(entry + width);
  float* out = cache.entries.data() + entry;
  for (std::size_t ch = 0; ch < width; ++ch) {
    // Slots: previous window's first halves (CSA), then this window's (second halves in CSA).
    float maxGate = -std::numeric_limits<float>::infinity();
    auto visit = [&](auto&& fn) {
      if (hasPrevious)
        for (std::size_t j = 0; j < m; ++j) {
          const std::size_t s = std::size_t(first - std::int64_t(m) + std::int64_t(j)) % (2 * m);
          fn(cache.gate[s * c + ch], cache.kv[s * c + ch]);
        }
      const std::size_t half = overlap ? width : 0;
      for (std::size_t j = 0; j < m; ++j) {
        const std::size_t s = std::size_t(first + std::int64_t(j)) % (2 * m);
        fn(cache.gate[s * c + half + ch], cache.kv[s * c + half + ch]);
      }
    };
    visit([&](float g, float) { maxGate = std::max(maxGate, g); });
    double sum = 0, weighted = 0;
    visit([&](float g, float k) {
      const double e = std::exp(double(g) - double(maxGate));
      sum += e;
      weighted += e * double(k);
    });
    out[ch] = float(weighted / sum);
  }
  kernels::rmsNorm(out, w.norm.data(), width, eps, out);
  if (roundToBf16) kernels::roundToBf16(out, width);
  const std::size_t pairs = rope.pairs();
  float cosines[64], sines[64];  // rope pairs: 32 in V4
  rope.angles(first, cosines, sines);
  kernels::rotatePairs(out + width - 2 * pairs, cosines, sines, pairs, false);
  if (roundToBf16) kernels::roundToBf16(out, width);
  return true;
}

}  // namespace flint::engine
