#pragma once
// Routed experts in a host-RAM budget, the rest read on demand from the checkpoint's shards
// (the disk tier). A slot holds one expert's three weight matrices and their scales, filled by
// explicit reads (not the page cache's mapping), so what stays resident is this store's choice.
// Lossless: a slot holds the checkpoint's bytes unchanged, and the kernels read them exactly as
// they read the mapped ones, so outputs are bit-identical whatever the budget.
//
// Used from the engine thread only: the weights expert() returns stay valid until its next call,
// which is how the MoE uses them (one expert at a time).
#include "engine/experts/eviction_policy.h"
#include "engine/experts/expert_stats.h"
#include "engine/experts/expert_store.h"
#include "engine/model/model_files.h"

#include <cstddef>
#include <memory>
#include <vector>

namespace flint::engine {

class HostExpertStore final : public ExpertStore {
 public:
  // At most `budgetBytes` of host memory for expert slots. Throws ModelError when the budget
  // cannot hold one token's experts of a layer (num_experts_per_tok slots).
  HostExpertStore(const ModelFiles& files, const ModelWeights& weights, std::size_t budgetBytes,
                  EvictionPolicy policy = EvictionPolicy::Frequency);
  ~HostExpertStore() override;

  const ExpertWeights& expert(std::size_t layer, std::size_t expert) override;

  std::size_t slots() const { return slotOwner_.size(); }
  std::size_t expertBytes() const { return expertBytes_; }
  const ExpertStats& stats() const { return stats_; }
  // Whether expert `expert` of `layer` is in a host slot now.
  bool resident(std::size_t layer, std::size_t expert) const;

 private:
  struct Part {  // one of an expert's six stored tensors, at its offset inside a slot
    std::size_t offset, bytes;
  };
  void fill(std::size_t slot, std::size_t layer, std::size_t expert);

  const ModelWeights& weights_;
  std::size_t experts_, expertBytes_ = 0;
  std::vector<Part> parts_;                              // the slot layout: w1, its scale, w2, ...
  std::vector<std::vector<const TensorView*>> tensors_;  // [layer * experts + e] -> six views
  std::unique_ptr<std::byte[]> memory_;
  std::vector<std::int64_t> slotOwner_;  // layer * experts + e, or -1
  std::vector<std::int64_t> slotOf_;     // [layer * experts + e] -> slot or -1
  std::vector<ExpertWeights> slotWeights_;
  SlotScores scores_;
  ExpertStats stats_;
};

// Bytes of every routed expert of the model (what an unconstrained host tier would hold).
std::size_t routedExpertBytes(const ModelFiles& files);

}  // namespace flint::engine
