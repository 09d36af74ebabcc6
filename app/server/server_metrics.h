#pragma once
// The server's counters since it started, and their Prometheus text exposition (version
// 0.0.4) for GET /metrics. Thread-safe: HTTP threads count requests, the generation thread
// adds each reply's engine figures.
#include "engine/engine.h"

#include <map>
#include <mutex>
#include <string>

namespace flint::server {

enum class GenerationOutcome { kFinished, kCancelled, kFailed };

class ServerMetrics {
 public:
  // One answered HTTP request; `path` is the route ("/v1/chat/completions", "other").
  void countRequest(const std::string& path, int status);
  // A queued request whose client left before its turn.
  void countDropped();
  // One generate() call's figures.
  void addGeneration(const engine::Stats& stats, GenerationOutcome outcome);
  void setQueueDepth(std::size_t waiting);

  std::string prometheusText() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, std::size_t> requests_;
  std::map<GenerationOutcome, std::size_t> generations_;
  std::size_t dropped_ = 0;
  std::size_t queueDepth_ = 0;
  std::size_t promptTokens_ = 0;
  std::size_t generatedTokens_ = 0;
  double prefillSeconds_ = 0;
  double decodeSeconds_ = 0;
  engine::SpecCounters spec_;
  engine::ExpertStats experts_;
};

}  // namespace flint::server
