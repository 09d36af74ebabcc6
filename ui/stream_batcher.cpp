#include "ui/stream_batcher.h"

#include <utility>

namespace flint::ui {

StreamBatcher::StreamBatcher(Deliver deliver, std::chrono::microseconds interval,
                             ResidencySource residency, std::chrono::microseconds residencyInterval)
    : deliver_(std::move(deliver)),
      interval_(interval),
      residency_(std::move(residency)),
      residencyInterval_(residencyInterval) {}

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

void StreamBatcher::onPrefillProgress(std::size_t done, std::size_t total) {
  prefill_ = std::make_pair(done, total);
  // The last pass always goes: the view must learn that the reading is over.
  if (done == total)
    deliver(false);
  else
    deliverIfDue();
}

void StreamBatcher::flush() {
  deliver(true);
}

// The first piece goes at once (the reply visibly starts); later ones wait out the interval.
void StreamBatcher::deliverIfDue() {
  if (lastDelivery_ && std::chrono::steady_clock::now() - *lastDelivery_ < interval_) return;
  deliver(false);
}

void StreamBatcher::deliver(bool last) {
  const auto now = std::chrono::steady_clock::now();
  StreamBatch batch;
  if (residency_ && (last || !lastResidency_ || now - *lastResidency_ >= residencyInterval_)) {
    batch.residency = residency_();
    lastResidency_ = now;
  }
  if (thinking_.empty() && answer_.empty() && !stats_ && !prefill_ && !batch.residency) return;
  batch.thinking = QString::fromStdString(thinking_);
  batch.answer = QString::fromStdString(answer_);
  batch.stats = std::exchange(stats_, std::nullopt);
  batch.prefill = std::exchange(prefill_, std::nullopt);
  thinking_.clear();
  answer_.clear();
  lastDelivery_ = now;
  deliver_(std::move(batch));
}

}  // namespace flint::ui
