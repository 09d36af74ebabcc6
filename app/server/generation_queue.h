#pragma once
// The engine runs one reply at a time (a session is single-threaded), so chat requests wait
// their turn here: first come, first served, at most `capacity` waiting besides the one being
// generated. One thread owns the engine session and works through the queue.
#include "app/server/generation_job.h"
#include "app/server/server_metrics.h"

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

namespace flint::server {

class GenerationQueue {
 public:
  // `engineLock` (optional) is held around each reply, for an engine others use too.
  GenerationQueue(engine::Engine& engine, std::size_t capacity, ServerMetrics& metrics,
                  std::mutex* engineLock = nullptr);
  ~GenerationQueue();
  GenerationQueue(const GenerationQueue&) = delete;
  GenerationQueue& operator=(const GenerationQueue&) = delete;

  // Queues `request`; null when the queue is full (or stopping).
  std::shared_ptr<GenerationJob> submit(engine::GenerateRequest request);
  // Cancels the reply in progress and every waiting one, and ends the thread.
  void stop();

 private:
  void run();
  void generate(GenerationJob& job);

  engine::Engine& engine_;
  std::unique_ptr<engine::Session> session_;
  const std::size_t capacity_;
  ServerMetrics& metrics_;
  std::mutex* engineLock_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::shared_ptr<GenerationJob>> waiting_;
  std::shared_ptr<GenerationJob> current_;
  bool stopping_ = false;
  std::thread thread_;  // last: starts after everything it uses
};

}  // namespace flint::server
