#include "engine/experts/eviction_policy.h"

#include <cmath>

namespace flint::engine {

SlotScores::SlotScores(EvictionPolicy policy, std::size_t slots, double halfLife)
    : policy_(policy), halfLife_(halfLife), last_(slots, 0), count_(slots, 0.0) {}

double SlotScores::score(std::size_t slot) const {
  if (policy_ == EvictionPolicy::Lru) return double(last_[slot]);
  return count_[slot] * std::exp2(-double(now_ - last_[slot]) / halfLife_);
}

void SlotScores::touch(std::size_t slot, bool fresh) {
  ++now_;
  if (policy_ == EvictionPolicy::Frequency) count_[slot] = (fresh ? 0.0 : score(slot)) + 1.0;
  last_[slot] = now_;
}

}  // namespace flint::engine
