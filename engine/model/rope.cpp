#include "engine/model/rope.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace flint::engine {

RopeTable::RopeTable(double base, const std::optional<RopeScaling>& yarn, std::size_t ropeDims) {
  const std::size_t pairs = ropeDims / 2;
  freqs_.resize(pairs);
  for (std::size_t i = 0; i < pairs; ++i)
    freqs_[i] = std::pow(base, -double(2 * i) / double(ropeDims));
  if (!yarn) return;
  // YaRN: keep high frequencies, divide low ones by the factor, ramp linearly in between.
  const double dims = double(ropeDims);
  auto correctionDim = [&](double rotations) {
    return dims *
           std::log(double(yarn->originalMaxPositionEmbeddings) /
                    (rotations * 2 * std::numbers::pi)) /
           (2 * std::log(base));
  };
  const double low = std::max(std::floor(correctionDim(yarn->betaFast)), 0.0);
  double high = std::min(std::ceil(correctionDim(yarn->betaSlow)), dims - 1);
  if (low == high) high += 0.001;
  for (std::size_t i = 0; i < pairs; ++i) {
    const double ramp = std::clamp((double(i) - low) / (high - low), 0.0, 1.0);
    const double smooth = 1.0 - ramp;
    const double f = freqs_[i];
    freqs_[i] = f / yarn->factor * (1.0 - smooth) + f * smooth;
  }
}

void RopeTable::angles(std::int64_t pos, float* cos, float* sin) const {
  for (std::size_t i = 0; i < freqs_.size(); ++i) {
    const double angle = double(pos) * freqs_[i];
    cos[i] = float(std::cos(angle));
    sin[i] = float(std::sin(angle));
  }
}

RopeTable ropeTableFor(const ModelConfig& config, std::int64_t ratio) {
  const std::size_t dims = std::size_t(config.qkRopeHeadDim);
  if (ratio == 0) return RopeTable(config.ropeTheta, std::nullopt, dims);
  return RopeTable(config.compressRopeTheta, config.ropeScaling, dims);
}

}  // namespace flint::engine
