#pragma once
// Which cached expert leaves when a new one needs its slot. LRU evicts the least recently used;
// Frequency keeps a use count that halves every `halfLife` uses of the store, and evicts the
// lowest: an expert that many tokens route to survives a burst of one-off experts, while a
// formerly hot one fades instead of staying forever (the decay).
#include <cstddef>
#include <cstdint>
#include <vector>

namespace flint::engine {

enum class EvictionPolicy { Lru, Frequency };

class SlotScores {
 public:
  SlotScores(EvictionPolicy policy, std::size_t slots, double halfLife);

  // Slot `slot` was used now; `fresh` when it just received a new expert.
  void touch(std::size_t slot, bool fresh);
  // The slot to give up: the lowest score among those `usable` allows (it must allow one).
  template <typename Usable>
  std::size_t victim(Usable&& usable) const {
    std::size_t best = last_.size();
    double lowest = 0;
    for (std::size_t s = 0; s < last_.size(); ++s)
      if (usable(s))
        if (const double v = score(s); best == last_.size() || v < lowest) {
          lowest = v;
          best = s;
        }
    return best;
  }
  std::size_t victim() const {
    return victim([](std::size_t) { return true; });
  }
  double score(std::size_t slot) const;

 private:
  EvictionPolicy policy_;
  double halfLife_;
  std::uint64_t now_ = 0;
  std::vector<std::uint64_t> last_;
  std::vector<double> count_;
};

}  // namespace flint::engine
