#pragma once
// What a long model load tells its caller, and how the caller stops it. A V4 checkpoint is
// 150 GB and more; the user sees each stage with a fraction and can cancel at any step.
#include "engine/model/model_error.h"

#include <cstddef>
#include <functional>
#include <string_view>

namespace flint::engine {

struct LoadProgress {
  // Called on the loading thread: the stage in words and the whole load's fraction in [0, 1],
  // never decreasing. May be empty.
  std::function<void(std::string_view stage, double fraction)> report;
  // Polled between steps of at most a few MiB of reading; true ends the load with
  // LoadCancelled. May be empty.
  std::function<bool()> cancelled;
};

// A load stopped because LoadProgress::cancelled said so; nothing it built is kept.
struct LoadCancelled : ModelError {
  LoadCancelled() : ModelError("the model load was cancelled") {}
};

// Maps the stages of one load onto one fraction: each stage owns a share of [0, 1] in order.
class LoadProgressMeter {
 public:
  explicit LoadProgressMeter(const LoadProgress* progress) : progress_(progress) {}

  // Starts a stage that ends at `until` (a fraction of the whole load).
  void stage(std::string_view name, double until);
  // Reports `done` of `total` units of the current stage; throws LoadCancelled when asked to.
  void advance(std::size_t done, std::size_t total);
  void throwIfCancelled() const;

 private:
  const LoadProgress* progress_;
  std::string_view stage_;
  double from_ = 0;
  double until_ = 0;
  double last_ = -1;
};

}  // namespace flint::engine
