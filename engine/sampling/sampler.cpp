#include "engine/sampling/sampler.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace flint::engine {

TokenId argmax(std::span<const float> logits) {
  return TokenId(std::max_element(logits.begin(), logits.end()) - logits.begin());
}

Sampler::Sampler(const SamplingParams& params) : params_(params), rng_(params.seed) {
  if (!(params.temperature >= 0.0f))
    throw std::invalid_argument("the temperature must be 0 or more");
  if (!(params.topP > 0.0f && params.topP <= 1.0f))
    throw std::invalid_argument("top-p must be more than 0 and at most 1");
  if (params.topK < 0) throw std::invalid_argument("top-k must be 0 (off) or more");
}

void Sampler::keep(std::span<const float> logits) {
  if (params_.temperature == 0.0f) {
    kept_.assign(1, {argmax(logits), 1.0f});
    return;
  }
  kept_.resize(logits.size());
  for (std::size_t i = 0; i < logits.size(); ++i) kept_[i] = {TokenId(i), logits[i]};
  // Descending by logit, lower id first on ties, so the order (and the draw) is reproducible.
  auto byLogit = [](const auto& a, const auto& b) {
    return a.second > b.second || (a.second == b.second && a.first < b.first);
  };
  std::size_t keep = kept_.size();
  if (params_.topK > 0 && std::size_t(params_.topK) < keep) {
    keep = std::size_t(params_.topK);
    std::partial_sort(kept_.begin(), kept_.begin() + std::ptrdiff_t(keep), kept_.end(), byLogit);
  } else {
    std::sort(kept_.begin(), kept_.end(), byLogit);
  }
  kept_.resize(keep);
  const double maxLogit = kept_.front().second;
  double total = 0;
  for (auto& [id, p] : kept_) {
    p = float(std::exp((double(p) - maxLogit) / params_.temperature));
    total += p;
  }
  // The nucleus: the fewest most likely tokens whose probability reaches top-p.
  double cumulative = 0;
  std::size_t nucleus = 0;
  while (nucleus < kept_.size()) {
    cumulative += kept_[nucleus++].second / total;
    if (cumulative >= params_.topP) break;
  }
  kept_.resize(nucleus);
  double mass = 0;
  for (const auto& kp : kept_) mass += kp.second;
  for (auto& kp : kept_) kp.second = float(kp.second / mass);
}

TokenId Sampler::sample(std::span<const float> logits) {
  keep(logits);
  if (params_.temperature == 0.0f) return kept_.front().first;
  const double u = uniform();
  double acc = 0;
  for (const auto& [id, p] : kept_) {
    acc += p;
    if (u < acc) return id;
  }
  return kept_.back().first;
}

void Sampler::distribution(std::span<const float> logits, std::vector<float>& probs) {
  keep(logits);
  probs.assign(logits.size(), 0.0f);
  for (const auto& [id, p] : kept_) probs[std::size_t(id)] = p;
}

TokenId Sampler::draw(std::span<const float> probs) {
  double total = 0;
  for (float p : probs) total += p;
  const double u = uniform() * total;
  double acc = 0;
  std::size_t last = 0;
  for (std::size_t i = 0; i < probs.size(); ++i) {
    if (probs[i] <= 0) continue;
    acc += probs[i];
    last = i;
    if (u < acc) return TokenId(i);
  }
  return TokenId(last);
}

double Sampler::uniform() {
  return double(rng_() >> 11) * 0x1p-53;  // [0, 1), the same on every platform
}

}  // namespace flint::engine
