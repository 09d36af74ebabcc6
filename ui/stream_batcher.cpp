#include "ui/stream_batcher.h"

#include <utility>

namespace flint::ui {

StreamBatcher::StreamBatcher(Deliver deliver, std::chrono::microseconds interval)
    : deliver_(std::move(deliver)), interval_(interval) {}

void StreamBatcher::onThinking(std::string_view text) {
  thinking_ += text;
  deliverIfDue();
}

void StreamBatcher::onAnswer(std::string_view text) {
  answer_ += text;
  deliverIfDue();
}

void StreamBatcher::onStats(const flint::engine::Stats& stats) {
  stats_ = stats;
  deliverIfDue();
}

void StreamBatcher::flush() {
  if (thinking_.empty() && answer_.empty() && !stats_) return;
  StreamBatch batch;
  batch.thinking = QString::fromStdString(thinking_);
  batch.answer = QString::fromStdString(answer_);
  batch.stats = std::exchange(stats_, std::nullopt);
  thinking_.clear();
  answer_.clear();
  lastDelivery_ = std::chrono::steady_clock::now();
  deliver_(std::move(batch));
}

// The first piece goes at once (the reply visibly starts); later ones wait out the interval.
void StreamBatcher::deliverIfDue() {
  if (lastDelivery_ && std::chrono::steady_clock::now() - *lastDelivery_ < interval_) return;
  flush();
}

}  // namespace flint::ui
