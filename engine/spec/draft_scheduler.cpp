#include "engine/spec/draft_scheduler.h"

#include <algorithm>

namespace flint::engine {

std::size_t DraftScheduler::choose(std::size_t maxDrafts) {
  if (maxDrafts == 0) return 0;
  ++steps_;
  if (draftedSamples_ < 2) return maxDrafts;  // measure both first
  if (plainSamples_ < 2) return 0;
  const bool draft = draftedRate_ >= plainRate_;
  // Try the losing choice again now and then, less often the more it lost by, so exploring
  // costs about 1/kExploreEvery of the time whatever the gap.
  const double gap =
      draft ? draftedRate_ / std::max(plainRate_, 1e-9) : plainRate_ / std::max(draftedRate_, 1e-9);
  const auto interval = std::size_t(double(kExploreEvery) * std::min(gap, 64.0));
  const bool explore = steps_ - lastExplore_ >= interval;
  if (explore) lastExplore_ = steps_;
  return draft != explore ? maxDrafts : 0;
}

void DraftScheduler::record(bool drafted, double tokensPerSecond) {
  double& rate = drafted ? draftedRate_ : plainRate_;
  std::size_t& samples = drafted ? draftedSamples_ : plainSamples_;
  rate = samples == 0 ? tokensPerSecond : 0.8 * rate + 0.2 * tokensPerSecond;
  ++samples;
}

}  // namespace flint::engine
