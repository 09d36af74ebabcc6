#pragma once
// How long-running document work reports progress and hears that it should stop.
#include <atomic>
#include <functional>

namespace flint::documents {

struct ImportProgress {
  // Called with the share done so far, 0 to 1, from the thread doing the work.
  std::function<void(double)> onProgress;
  // Checked between steps; when set the work stops with DocumentError Cancelled.
  const std::atomic<bool>* cancel = nullptr;

  void report(double fraction) const {
    if (onProgress) onProgress(fraction);
  }
  bool cancelled() const { return cancel && cancel->load(std::memory_order_relaxed); }
  // Throws DocumentError Cancelled when the flag is set.
  void throwIfCancelled() const;
};

}  // namespace flint::documents
