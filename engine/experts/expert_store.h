#pragma once
// Where routed experts live. The model reaches them only through this interface, so tiers
// (GPU, host RAM, disk) can be planned without touching the forward pass. A virtual call per
// expert use, never per element.
#include "engine/model/model_weights.h"

#include <cstddef>
#include <cstdint>
#include <span>

namespace flint::engine {

class ExpertStore {
 public:
  virtual ~ExpertStore() = default;
  // The weights of routed expert `expert` of layer `layer`, valid until the next call.
  virtual const ExpertWeights& expert(std::size_t layer, std::size_t expert) = 0;
  // The experts of `layer` the caller is about to ask for, in that order: a store whose experts
  // are not all in memory starts reading the next ones while the caller computes. Never changes
  // what expert() returns.
  virtual void willUse(std::size_t /*layer*/, std::span<const std::int32_t> /*experts*/) {}
};

// Every expert mapped from the checkpoint and used in place.
class ResidentExpertStore final : public ExpertStore {
 public:
  explicit ResidentExpertStore(const ModelWeights& weights) : weights_(weights) {}
  const ExpertWeights& expert(std::size_t layer, std::size_t e) override {
    return weights_.layers[layer].moe.experts[e];
  }

 private:
  const ModelWeights& weights_;
};

}  // namespace flint::engine
