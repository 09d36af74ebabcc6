#include "engine/gpu/device_bandwidth.h"

#include <algorithm>
#include <chrono>

namespace flint::engine {

double measureDeviceCopyBandwidth(const CudaOps& ops) {
  constexpr std::size_t kBytes = 256ull << 20;
  constexpr int kCopies = 10;
  DeviceBuffer from = ops.allocate(kBytes), to = ops.allocate(kBytes);
  ops.fill(from.data(), 1, kBytes);
  auto copyOnce = [&] { ops.copy2d(to.data(), kBytes, from.data(), kBytes, kBytes, 1); };
  copyOnce();  // the first copy pays for page mapping and clocks ramping up
  ops.synchronize();
  double best = 0;
  for (int round = 0; round < 3; ++round) {
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kCopies; ++i) copyOnce();
    ops.synchronize();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best = std::max(best, 2.0 * double(kBytes) * kCopies / seconds);
  }
  return best;
}

}  // namespace flint::engine
