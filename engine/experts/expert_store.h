#pragma once
// Where routed experts live. The model reaches them only through this interface, so tiers
// (GPU, host RAM, disk) can be planned without touching the forward pass. A virtual call per
// expert use, never per element.
#include "engine/experts/expert_residency.h"
#include "engine/experts/expert_stats.h"
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
  // The same for a batch of `tokens` tokens: a tiered store may move a large batch's expert to
  // a faster tier first.
  virtual const ExpertWeights& expertForBatch(std::size_t layer, std::size_t e,
                                              std::size_t /*tokens*/) {
    return expert(layer, e);
  }
  // The experts of `layer` the caller is about to ask for, in that order: a store whose experts
  // are not all in memory starts reading the next ones while the caller computes. Never changes
  // what expert() returns.
  virtual void willUse(std::size_t /*layer*/, std::span<const std::int32_t> /*experts*/) {}
  // A guess of the experts a later `layer` will use (exact for hash-routed layers): a store may
  // read them in the background. A wrong guess costs only bandwidth.
  virtual void prefetch(std::size_t /*layer*/, std::span<const std::int32_t> /*experts*/) {}
  // Whether prefetch() does anything (guessing costs the caller a gate product per layer).
  virtual bool wantsPrefetch() const { return false; }

  // Figures since construction (all zero for a store that moves nothing).
  virtual ExpertStats stats() const { return {}; }
  // Every expert's tier now and its uses; safe from any thread. Empty for a store that does
  // not track them.
  virtual ExpertResidency residency() const { return {}; }
};

// Every expert mapped from the checkpoint and used in place.
class ResidentExpertStore final : public ExpertStore {
 public:
  explicit ResidentExpertStore(const ModelWeights& weights) : weights_(weights) {}
  const ExpertWeights& expert(std::size_t layer, std::size_t e) override {
    return weights_.layers[layer].moe.experts[e];
  }
  // All Mapped; uses are not counted (this store is a plain lookup and keeps no state).
  ExpertResidency residency() const override {
    ExpertResidency all;
    all.layers = weights_.layers.size();
    all.experts = weights_.layers.empty() ? 0 : weights_.layers.front().moe.experts.size();
    all.tiers.assign(all.layers * all.experts, ExpertTier::Mapped);
    return all;
  }

 private:
  const ModelWeights& weights_;
};

}  // namespace flint::engine
