#include "app/server/generation_queue.h"

#include "engine/logging/log.h"

#include <stdexcept>

namespace flint::server {
namespace {

// Forwards the engine's stream into the job the client reads.
class JobSink final : public engine::StreamSink {
 public:
  explicit JobSink(GenerationJob& job) : job_(job) {}
  void onThinking(std::string_view text) override { job_.appendThinking(text); }
  void onAnswer(std::string_view text) override { job_.appendAnswer(text); }
  void onStats(const engine::Stats&) override {}

 private:
  GenerationJob& job_;
};

}  // namespace

GenerationQueue::GenerationQueue(engine::Engine& engine, std::size_t capacity,
                                 ServerMetrics& metrics, std::mutex* engineLock)
    : engine_(engine),
      session_(engine.newSession()),
      capacity_(capacity),
      metrics_(metrics),
      engineLock_(engineLock),
      thread_([this] { run(); }) {}

GenerationQueue::~GenerationQueue() {
  stop();
}

std::shared_ptr<GenerationJob> GenerationQueue::submit(engine::GenerateRequest request) {
  std::lock_guard lock(mutex_);
  // The job in progress does not count: `capacity` is how many may wait behind it.
  if (stopping_ || waiting_.size() >= capacity_) return nullptr;
  auto job = std::make_shared<GenerationJob>(std::move(request));
  waiting_.push_back(job);
  metrics_.setQueueDepth(waiting_.size());
  wake_.notify_one();
  return job;
}

void GenerationQueue::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    if (current_) current_->cancel();
    for (const auto& job : waiting_) {
      job->cancel();
      job->fail(ApiError(503, "server_error", "The server is shutting down."));
    }
    waiting_.clear();
    wake_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

void GenerationQueue::run() {
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !waiting_.empty(); });
      if (stopping_) return;
      current_ = waiting_.front();
      waiting_.pop_front();
      metrics_.setQueueDepth(waiting_.size());
    }
    if (current_->cancelled()) {
      log::logger("server")->info("dropped a queued request whose client left");
      metrics_.countDropped();
      current_->fail(ApiError(499, "cancelled", "The client left before its turn."));
    } else {
      generate(*current_);
    }
    std::lock_guard lock(mutex_);
    current_.reset();
  }
}

void GenerationQueue::generate(GenerationJob& job) {
  std::unique_lock<std::mutex> engineTurn;
  if (engineLock_) engineTurn = std::unique_lock(*engineLock_);
  job.markStarted();
  JobSink sink(job);
  try {
    engine::GenerateResult result = session_->generate(job.request(), sink, job.cancelFlag());
    metrics_.addGeneration(result.stats, result.reason == engine::FinishReason::kCancelled
                                             ? GenerationOutcome::kCancelled
                                             : GenerationOutcome::kFinished);
    log::logger("server")->info(
        "generated {} tokens ({})", result.stats.generatedTokens,
        result.reason == engine::FinishReason::kCancelled ? "cancelled" : "finished");
    job.finish(std::move(result));
  } catch (const std::invalid_argument& e) {
    // The engine's one request-shaped failure: a prompt longer than the context.
    metrics_.addGeneration({}, GenerationOutcome::kFailed);
    job.fail(ApiError(400, "invalid_request_error",
                      std::string("The conversation does not fit: ") + e.what() + ".", "messages"));
  } catch (const std::exception& e) {
    log::logger("server")->error("generation failed: {}", e.what());
    metrics_.addGeneration({}, GenerationOutcome::kFailed);
    session_->reset();
    job.fail(ApiError(500, "server_error", std::string("The engine failed: ") + e.what() + "."));
  }
}

}  // namespace flint::server
