#pragma once
// Collects what the engine streams on its own thread (thinking and answer deltas, stats
// snapshots) and hands it on in batches at most ~60 times a second, so the GUI thread redraws
// at frame rate however fast tokens come. flush() hands on the rest at the end of a reply.
// With a residency source, a batch also carries the experts' residency, taken on the streaming
// thread at most ~2 times a second (a heatmap needs no more) and once more at the end.
#include "engine/engine.h"

#include <QString>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <utility>

namespace flint::ui {

// What streamed since the last batch: text to append, the newest stats snapshot, and when due
// the experts' residency.
struct StreamBatch {
  QString thinking;
  QString answer;
  std::optional<flint::engine::Stats> stats;
  std::optional<flint::engine::ExpertResidency> residency;
  // Reading the prompt: tokens done of the total this reply prefills (none once it is read).
  std::optional<std::pair<std::size_t, std::size_t>> prefill;
};

class StreamBatcher final : public flint::engine::StreamSink {
 public:
  static constexpr std::chrono::microseconds kDefaultInterval{1'000'000 / 60};
  static constexpr std::chrono::microseconds kResidencyInterval{500'000};
  using Deliver = std::function<void(StreamBatch)>;
  using ResidencySource = std::function<std::optional<flint::engine::ExpertResidency>()>;

  // `deliver` runs on the streaming thread; it must only hand the batch on (a queued signal).
  // `residency` (optional) runs there too, when a snapshot is due.
  explicit StreamBatcher(Deliver deliver, std::chrono::microseconds interval = kDefaultInterval,
                         ResidencySource residency = {},
                         std::chrono::microseconds residencyInterval = kResidencyInterval);

  void onThinking(std::string_view text) override;
  void onAnswer(std::string_view text) override;
  void onStats(const flint::engine::Stats& stats) override;
  void onPrefillProgress(std::size_t done, std::size_t total) override;
  // Hands on whatever is held, due or not, with a last residency snapshot.
  void flush();

 private:
  void deliverIfDue();
  void deliver(bool last);

  Deliver deliver_;
  std::chrono::microseconds interval_;
  ResidencySource residency_;
  std::chrono::microseconds residencyInterval_;
  std::optional<std::chrono::steady_clock::time_point> lastDelivery_;
  std::optional<std::chrono::steady_clock::time_point> lastResidency_;
  std::string thinking_;  // UTF-8; the engine's deltas end on character boundaries
  std::string answer_;
  std::optional<flint::engine::Stats> stats_;
  std::optional<std::pair<std::size_t, std::size_t>> prefill_;
};

}  // namespace flint::ui
