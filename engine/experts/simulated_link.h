#pragma once
// A modelled host -> device link: moving n bytes takes n / bandwidth seconds, one transfer after
// another (one link), measured on the steady clock. The caller's thread waits out its transfer:
// it sleeps through long ones and spins through short ones, whose time a sleep or a yield
// would overshoot. The bytes themselves are copied by the caller; only the time is modelled.
#include <chrono>
#include <cstdint>
#include <mutex>

namespace flint::engine {

class SimulatedLink {
 public:
  explicit SimulatedLink(double bytesPerSecond) : bytesPerSecond_(bytesPerSecond) {}

  double bytesPerSecond() const { return bytesPerSecond_; }
  double seconds(std::uint64_t bytes) const { return double(bytes) / bytesPerSecond_; }
  // Waits until `bytes` have crossed the link after every transfer queued before them; returns
  // the modelled seconds of this transfer.
  double move(std::uint64_t bytes);

 private:
  using Clock = std::chrono::steady_clock;
  double bytesPerSecond_;
  std::mutex mutex_;
  Clock::time_point busyUntil_{};
};

}  // namespace flint::engine
