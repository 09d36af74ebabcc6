#pragma once
// Picks the next token from a row of logits: greedy at temperature 0; otherwise softmax at
// the temperature, restricted to the top-k and then to the smallest top-p nucleus, drawn
// with a seeded generator, so a seed always gives the same reply.
#include "engine/tokenizer/token_id.h"

#include <cstdint>
#include <random>
#include <span>
#include <utility>
#include <vector>

namespace flint::engine {

struct SamplingParams {
  float temperature = 1.0f;  // V4's recommended 1.0; 0 is greedy
  float topP = 1.0f;         // 1 keeps everything
  int topK = 0;              // 0 keeps everything
  std::uint64_t seed = 0;
};

class Sampler {
 public:
  // Throws std::invalid_argument for a negative temperature, top-p outside (0, 1] or a
  // negative top-k.
  explicit Sampler(const SamplingParams& params);

  TokenId sample(std::span<const float> logits);

  // What sample() would draw from, as a probability for every id (0 for the ids temperature,
  // top-k and top-p drop; one-hot on the argmax at temperature 0). Speculative verification
  // applies it to the target and the drafter alike.
  void distribution(std::span<const float> logits, std::vector<float>& probs);
  // Draws an id from `probs` (which need not be normalised) with this sampler's generator.
  TokenId draw(std::span<const float> probs);
  // Uniform in [0, 1) from this sampler's generator.
  double uniform();
  bool greedy() const { return params_.temperature == 0.0f; }

  // The distribution sample() draws from (probabilities over the kept ids, descending),
  // for tests and for speculative verification later.
  const std::vector<std::pair<TokenId, float>>& lastDistribution() const { return kept_; }

 private:
  SamplingParams params_;
  std::mt19937_64 rng_;
  std::vector<std::pair<TokenId, float>> kept_;

  void keep(std::span<const float> logits);  // fills kept_: the normalised distribution
};

// The first index of the largest logit.
TokenId argmax(std::span<const float> logits);

}  // namespace flint::engine
