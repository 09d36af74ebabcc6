#pragma once
// A fixed pool of workers for data-parallel loops. Workers spin briefly after each job and
// then sleep on a condition variable: pure spinning stalls when the host pauses a vCPU, pure
// sleeping adds wake-up latency to every matmul of a decode step.
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace flint::kernels {

class ThreadPool {
 public:
  // `threads` counts the calling thread too; 0 means one per hardware thread.
  explicit ThreadPool(std::size_t threads = 0);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  std::size_t size() const { return workers_.size() + 1; }

  // Calls fn(begin, end) over [0, n) split into chunks of at least `grain`, on all threads
  // including the caller; returns when every chunk is done. Not reentrant.
  void parallelFor(std::size_t n, std::size_t grain,
                   const std::function<void(std::size_t, std::size_t)>& fn);

 private:
  void workerLoop(std::size_t index);
  void runChunks();

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::atomic<std::uint64_t> generation_{0};
  std::atomic<std::size_t> nextChunk_{0};
  std::atomic<std::size_t> pending_{0};
  std::atomic<std::size_t> active_{0};  // workers inside runChunks()
  // Written under the mutex by the caller, read without it by workers running chunks.
  std::atomic<std::size_t> chunkCount_{0};
  std::atomic<std::size_t> chunkSize_{0};
  std::atomic<std::size_t> n_{0};
  std::atomic<const std::function<void(std::size_t, std::size_t)>*> job_{nullptr};
  bool stop_ = false;
};

}  // namespace flint::kernels
