#include "engine/experts/simulated_link.h"

#include <algorithm>
#include <thread>

namespace flint::engine {

double SimulatedLink::move(std::uint64_t bytes) {
  const double s = seconds(bytes);
  Clock::time_point end;
  {
    std::lock_guard lock(mutex_);
    const Clock::time_point start = std::max(Clock::now(), busyUntil_);
    end = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
    busyUntil_ = end;
  }
  constexpr auto kSpin = std::chrono::microseconds(200);  // below this, a sleep overshoots
  if (end - Clock::now() > kSpin) std::this_thread::sleep_until(end - kSpin);
  while (Clock::now() < end) {
    // Spin: a yield on a busy machine gives the core away for a whole time slice.
  }
  return s;
}

}  // namespace flint::engine
