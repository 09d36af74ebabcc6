#include "kernels/cpu/thread_pool.h"

#include <algorithm>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace flint::kernels {
namespace {

// About 50 µs of spinning before a worker sleeps.
constexpr int kSpinIterations = 20000;

inline void cpuRelax() {
#if defined(__x86_64__)
  _mm_pause();
#endif
}

}  // namespace

ThreadPool::ThreadPool(std::size_t threads) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  for (std::size_t i = 1; i < threads; ++i) workers_.emplace_back([this, i] { workerLoop(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
    generation_.fetch_add(1);
  }
  wake_.notify_all();
  for (auto& w : workers_) w.join();
}

void ThreadPool::runChunks() {
  for (;;) {
    const std::size_t c = nextChunk_.fetch_add(1);
    if (c >= chunkCount_.load()) return;
    const std::size_t chunk = chunkSize_.load();
    const std::size_t begin = c * chunk;
    (*job_.load())(begin, std::min(n_.load(), begin + chunk));
    pending_.fetch_sub(1, std::memory_order_acq_rel);
  }
}

void ThreadPool::parallelFor(std::size_t n, std::size_t grain,
                             const std::function<void(std::size_t, std::size_t)>& fn) {
  if (n == 0) return;
  grain = std::max<std::size_t>(grain, 1);
  const std::size_t maxChunks = std::max<std::size_t>(1, n / grain);
  // A few chunks per thread balance uneven work without much scheduling cost.
  const std::size_t chunks = std::min(maxChunks, size() * 4);
  if (chunks == 1 || workers_.empty()) {
    fn(0, n);
    return;
  }
  {
    std::lock_guard lock(mutex_);
    const std::size_t chunk = (n + chunks - 1) / chunks;
    const std::size_t count = (n + chunk - 1) / chunk;
    job_.store(&fn);
    n_.store(n);
    chunkSize_.store(chunk);
    pending_.store(count);
    chunkCount_.store(count);
    nextChunk_.store(0);
    generation_.fetch_add(1, std::memory_order_release);
  }
  wake_.notify_all();
  runChunks();
  while (pending_.load(std::memory_order_acquire) != 0) cpuRelax();
  {
    std::lock_guard lock(mutex_);
    job_.store(nullptr);  // no worker joins this job any more
  }
  // Workers still inside runChunks() would race with the next job's set-up.
  while (active_.load(std::memory_order_acquire) != 0) cpuRelax();
}

void ThreadPool::workerLoop(std::size_t /*index*/) {
  std::uint64_t seen = 0;
  for (;;) {
    int spins = 0;
    while (generation_.load(std::memory_order_acquire) == seen && spins < kSpinIterations) {
      cpuRelax();
      ++spins;
    }
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return generation_.load() != seen; });
      seen = generation_.load();
      if (stop_) return;
      if (!job_.load()) continue;
      active_.fetch_add(1);
    }
    runChunks();
    active_.fetch_sub(1, std::memory_order_acq_rel);
  }
}

}  // namespace flint::kernels
