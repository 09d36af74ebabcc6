#include "engine/spec/draft_scheduler.h"

#include <algorithm>

namespace flint::engine {
namespace {

constexpr double kRateWeight = 0.2;  // moving averages of rates and costs
constexpr double kCalibrationDecay = 0.95;

double blend(double average, std::size_t samples, double value) {
  return samples == 0 ? value : (1 - kRateWeight) * average + kRateWeight * value;
}

}  // namespace

bool DraftScheduler::shouldDraft() {
  ++steps_;
  if (draftedSamples_ < 2) return true;  // measure both first
  if (plainSamples_ < 2) return false;
  const bool draft = draftedRate_ >= plainRate_;
  // Try the losing choice again now and then, less often the more it lost by, so exploring
  // costs about 1/kExploreEvery of the time whatever the gap.
  const double gap =
      draft ? draftedRate_ / std::max(plainRate_, 1e-9) : plainRate_ / std::max(draftedRate_, 1e-9);
  const auto interval = std::size_t(double(kExploreEvery) * std::min(gap, 64.0));
  const bool explore = steps_ - lastExplore_ >= interval;
  if (explore) lastExplore_ = steps_;
  return draft != explore;
}

std::size_t DraftScheduler::chooseLength(std::span<const float> confidences) {
  const std::size_t n = std::min(confidences.size(), kMaxDrafts);
  // The draft pass is spent already: compare k drafts against none by tokens per verify second.
  double survival = 1, expected = 1;
  double bestRate = 1 / std::max(verifyCost(1), 1e-12);
  std::size_t best = 0;
  for (std::size_t j = 0; j < n; ++j) {
    survival *= calibrated(j, confidences[j]);
    expected += survival;
    const double rate = expected / std::max(verifyCost(j + 2), 1e-12);
    if (rate > bestRate) {
      bestRate = rate;
      best = j + 1;
    }
  }
  // Now and then verify one draft more than chosen, so the next width's cost and the next
  // position's calibration stay measured.
  if (++lengthChoices_ % kExploreEvery == 0 && best < n) ++best;
  return best;
}

void DraftScheduler::recordStep(bool drafted, double tokensPerSecond) {
  double& rate = drafted ? draftedRate_ : plainRate_;
  std::size_t& samples = drafted ? draftedSamples_ : plainSamples_;
  rate = blend(rate, samples, tokensPerSecond);
  ++samples;
}

void DraftScheduler::recordVerify(std::size_t width, double seconds, std::size_t distinctExperts) {
  if (width == 0 || width > widths_.size()) return;
  Width& w = widths_[width - 1];
  w.seconds = blend(w.seconds, w.samples, seconds);
  w.experts = blend(w.experts, w.samples, double(distinctExperts));
  ++w.samples;
}

void DraftScheduler::recordOutcome(std::span<const float> confidences, std::size_t tried,
                                   std::size_t accepted) {
  for (std::size_t j = 0; j < std::min({tried, confidences.size(), kMaxDrafts}); ++j) {
    Calibration& c = calibration_[j];
    c.predicted = kCalibrationDecay * c.predicted + confidences[j];
    c.observed = kCalibrationDecay * c.observed + (j < accepted ? 1.0 : 0.0);
  }
}

bool DraftScheduler::measured(std::size_t width) const {
  return width >= 1 && width <= widths_.size() && widths_[width - 1].samples > 0;
}

double DraftScheduler::verifyCost(std::size_t width) const {
  if (measured(width)) return widths_[width - 1].seconds;
  // Unmeasured: interpolate between the nearest measured widths; beyond them assume the nearest
  // one's cost, an optimistic guess that gets the width tried, and so measured.
  std::size_t below = 0, above = 0;
  for (std::size_t w = std::min(width, widths_.size() + 1); w-- > 1;)
    if (measured(w)) {
      below = w;
      break;
    }
  for (std::size_t w = width + 1; w <= widths_.size(); ++w)
    if (measured(w)) {
      above = w;
      break;
    }
  if (below && above) {
    const double t = double(width - below) / double(above - below);
    return (1 - t) * widths_[below - 1].seconds + t * widths_[above - 1].seconds;
  }
  if (below) return widths_[below - 1].seconds;
  if (above) return widths_[above - 1].seconds;
  return 1;  // nothing measured: every width costs the same
}

double DraftScheduler::expertsAt(std::size_t width) const {
  return measured(width) ? widths_[width - 1].experts : 0;
}

double DraftScheduler::calibrated(std::size_t position, double confidence) const {
  if (position >= kMaxDrafts) return confidence;
  const Calibration& c = calibration_[position];
  return std::clamp(confidence * c.observed / std::max(c.predicted, 1e-9), 0.0, 1.0);
}

}  // namespace flint::engine
