#pragma once
// The machine's memory read bandwidth, measured the way decode reads weights: every thread of
// the pool streams its share of a buffer far larger than the caches. Decode speed is judged
// as a fraction of this number.
#include "kernels/cpu/thread_pool.h"

#include <cstddef>

namespace flint::kernels {

// Best of `repeats` passes over a `bytes` buffer, in bytes per second.
double measureReadBandwidth(ThreadPool& pool, std::size_t bytes = std::size_t(512) << 20,
                            int repeats = 5);

}  // namespace flint::kernels
