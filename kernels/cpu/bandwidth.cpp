#include "kernels/cpu/bandwidth.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>

namespace flint::kernels {

double measureReadBandwidth(ThreadPool& pool, std::size_t bytes, int repeats) {
  std::vector<std::uint64_t> data(bytes / sizeof(std::uint64_t), 1);
  std::vector<std::uint64_t> sums(pool.size() * 64 + 1);
  double best = 0;
  for (int r = 0; r <= repeats; ++r) {  // the first pass only faults the pages in
    const auto start = std::chrono::steady_clock::now();
    pool.parallelFor(data.size(), 1 << 16, [&](std::size_t b, std::size_t e) {
      // Eight independent sums keep several loads in flight per thread.
      std::uint64_t acc[8] = {};
      std::size_t i = b;
      for (; i + 8 <= e; i += 8)
        for (int k = 0; k < 8; ++k) acc[k] += data[i + std::size_t(k)];
      for (; i < e; ++i) acc[0] += data[i];
      std::uint64_t total = 0;
      for (auto a : acc) total += a;
      sums[(b / (1 << 16)) % sums.size()] += total;  // keeps the loop from being optimised away
    });
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (r > 0) best = std::max(best, double(bytes) / seconds);
  }
  return best;
}

}  // namespace flint::kernels
