#include "engine/experts/expert_placement.h"

#include <algorithm>
#include <cmath>

namespace flint::engine {

ExpertPlacement::ExpertPlacement(double hostSecondsPerToken, double transferSeconds,
                                 double deviceSpeedup)
    : hostSecondsPerToken_(hostSecondsPerToken),
      transferSeconds_(transferSeconds),
      deviceSpeedup_(deviceSpeedup) {
  if (!(deviceSpeedup > 1) || !(hostSecondsPerToken > 0)) return;
  const double saved = hostSecondsPerToken * (1 - 1 / deviceSpeedup);  // per token moved
  const double breakEven = std::max(transferSeconds, 0.0) / saved;
  if (!(breakEven < 1e15)) return;
  // The first whole batch strictly above break-even, settled on the comparison itself so that
  // rounding in the division cannot put it one off.
  auto faster = [&](std::size_t n) {
    return transferSeconds + double(n) * hostSecondsPerToken / deviceSpeedup <
           double(n) * hostSecondsPerToken;
  };
  std::size_t n = std::size_t(std::floor(breakEven)) + 1;
  while (!faster(n)) ++n;
  while (n > 1 && faster(n - 1)) --n;
  threshold_ = n;
}

}  // namespace flint::engine
