#pragma once
// Collects what the engine streams on its own thread (thinking and answer deltas, stats
// snapshots) and hands it on in batches at most ~60 times a second, so the GUI thread redraws
// at frame rate however fast tokens come. flush() hands on the rest at the end of a reply.
#include "engine/engine.h"

#include <QString>

#include <chrono>
#include <functional>
#include <optional>
#include <string>

namespace flint::ui {

// What streamed since the last batch: text to append, and the newest stats snapshot.
struct StreamBatch {
  QString thinking;
  QString answer;
  std::optional<flint::engine::Stats> stats;
};

class StreamBatcher final : public flint::engine::StreamSink {
 public:
  static constexpr std::chrono::microseconds kDefaultInterval{1'000'000 / 60};
  using Deliver = std::function<void(StreamBatch)>;

  // `deliver` runs on the streaming thread; it must only hand the batch on (a queued signal).
  explicit StreamBatcher(Deliver deliver, std::chrono::microseconds interval = kDefaultInterval);

  void onThinking(std::string_view text) override;
  void onAnswer(std::string_view text) override;
  void onStats(const flint::engine::Stats& stats) override;
  // Hands on whatever is held, due or not.
  void flush();

 private:
  void deliverIfDue();

  Deliver deliver_;
  std::chrono::microseconds interval_;
  std::optional<std::chrono::steady_clock::time_point> lastDelivery_;
  std::string thinking_;  // UTF-8; the engine's deltas end on character boundaries
  std::string answer_;
  std::optional<flint::engine::Stats> stats_;
};

}  // namespace flint::ui
