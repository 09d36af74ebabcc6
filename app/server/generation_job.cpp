#include "app/server/generation_job.h"

namespace flint::server {

void GenerationJob::cancel() {
  cancel_.store(true);
  changed_.notify_all();
}

void GenerationJob::markStarted() {
  std::lock_guard lock(mutex_);
  pending_.started = true;
  changed_.notify_all();
}

void GenerationJob::appendThinking(std::string_view text) {
  std::lock_guard lock(mutex_);
  pending_.thinking += text;
  changed_.notify_all();
}

void GenerationJob::appendAnswer(std::string_view text) {
  std::lock_guard lock(mutex_);
  pending_.answer += text;
  changed_.notify_all();
}

void GenerationJob::finish(engine::GenerateResult result) {
  std::lock_guard lock(mutex_);
  result_ = std::move(result);
  pending_.finished = true;
  changed_.notify_all();
}

void GenerationJob::fail(ApiError error) {
  std::lock_guard lock(mutex_);
  failure_ = std::move(error);
  pending_.finished = true;
  changed_.notify_all();
}

GenerationJob::Progress GenerationJob::take(std::chrono::milliseconds wait) {
  std::unique_lock lock(mutex_);
  const bool started = pending_.started;
  changed_.wait_for(lock, wait, [&] {
    return pending_.finished || !pending_.thinking.empty() || !pending_.answer.empty() ||
           pending_.started != started || cancel_.load();
  });
  Progress out = pending_;
  pending_.thinking.clear();
  pending_.answer.clear();
  return out;
}

}  // namespace flint::server
