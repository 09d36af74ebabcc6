#pragma once
// How well look-ahead guesses the experts a layer uses: the last guess (its layer and experts)
// against the layer's actual experts when it runs. Not thread-safe: the owning store's lock
// guards it.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace flint::engine {

class PrefetchTally {
 public:
  explicit PrefetchTally(std::size_t expertsPerLayer) : guessed_(expertsPerLayer, 0) {}

  // A guess for `layer` replaces the last one.
  void guess(std::size_t layer, std::span<const std::int32_t> experts) {
    std::fill(guessed_.begin(), guessed_.end(), 0);
    for (std::int32_t e : experts) guessed_[std::size_t(e)] = 1;
    layer_ = layer;
    guesses_ += experts.size();
  }
  // `layer` runs with `experts`: the guess for it, if any, is scored.
  void used(std::size_t layer, std::span<const std::int32_t> experts) {
    if (layer != layer_) return;
    for (std::int32_t e : experts) correct_ += guessed_[std::size_t(e)];
    layer_ = SIZE_MAX;
  }

  std::size_t guesses() const { return guesses_; }
  std::size_t correct() const { return correct_; }

 private:
  std::vector<std::uint8_t> guessed_;  // [expert]: in the last guess
  std::size_t layer_ = SIZE_MAX;
  std::size_t guesses_ = 0, correct_ = 0;
};

}  // namespace flint::engine
