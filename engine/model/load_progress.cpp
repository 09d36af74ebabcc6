#include "engine/model/load_progress.h"

#include <algorithm>

namespace flint::engine {

void LoadProgressMeter::stage(std::string_view name, double until) {
  from_ = std::max(until_, 0.0);
  until_ = std::max(until, from_);
  stage_ = name;
  advance(0, 1);
}

void LoadProgressMeter::advance(std::size_t done, std::size_t total) {
  throwIfCancelled();
  if (progress_ == nullptr || !progress_->report) return;
  const double part = total == 0 ? 1.0 : double(std::min(done, total)) / double(total);
  const double fraction = from_ + (until_ - from_) * part;
  // At most one report per 0.1 % of the load, plus each stage's start and end.
  if (done != 0 && done != total && fraction - last_ < 0.001) return;
  last_ = std::max(last_, fraction);
  progress_->report(stage_, last_);
}

void LoadProgressMeter::throwIfCancelled() const {
  if (progress_ != nullptr && progress_->cancelled && progress_->cancelled()) throw LoadCancelled();
}

}  // namespace flint::engine
