#pragma once
// One chat request on its way through the engine: the generation thread writes the reply's
// text into it as it streams, the HTTP thread that owns the client reads it out. Either side
// may cancel: the client leaving, or the server stopping.
#include "app/server/api_error.h"
#include "engine/engine.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>

namespace flint::server {

class GenerationJob {
 public:
  // Text that arrived since the last take(); thinking always precedes the answer.
  struct Progress {
    std::string thinking;
    std::string answer;
    bool started = false;   // the engine has taken the job
    bool finished = false;  // result() or failure() is set
  };

  explicit GenerationJob(engine::GenerateRequest request) : request_(std::move(request)) {}

  const engine::GenerateRequest& request() const { return request_; }
  const std::atomic<bool>* cancelFlag() const { return &cancel_; }
  void cancel();
  bool cancelled() const { return cancel_.load(); }

  // The generation thread's side.
  void markStarted();
  void appendThinking(std::string_view text);
  void appendAnswer(std::string_view text);
  void finish(engine::GenerateResult result);
  void fail(ApiError error);

  // The HTTP side: waits up to `wait` for news, then returns what came since the last call.
  Progress take(std::chrono::milliseconds wait);
  // Valid once take() reported `finished`: exactly one of them is set.
  const std::optional<engine::GenerateResult>& result() const { return result_; }
  const std::optional<ApiError>& failure() const { return failure_; }

 private:
  const engine::GenerateRequest request_;
  std::atomic<bool> cancel_{false};
  std::mutex mutex_;
  std::condition_variable changed_;
  Progress pending_;
  std::optional<engine::GenerateResult> result_;
  std::optional<ApiError> failure_;
};

}  // namespace flint::server
