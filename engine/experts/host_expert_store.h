#pragma once
// Routed experts in a host-RAM budget, the rest read on demand from the checkpoint's shards
// (the disk tier). A slot holds one expert's three weight matrices and their scales, filled by
// explicit reads (not the page cache's mapping), so what stays resident is this store's choice.
// Lossless: a slot holds the checkpoint's bytes unchanged, and the kernels read them exactly as
// they read the mapped ones, so outputs are bit-identical whatever the budget.
//
// expert() and willUse() are called from the engine thread only; the weights expert() returns stay
// valid until its next call, which is how the MoE uses them (one expert at a time). willUse()
// hands the layer's expert order to a reader thread that fills slots a few experts ahead while
// the engine computes; expert() waits for a slot still being read. The order is the routing's
// own, so the prefetch is exact: it only moves reads earlier.
#include "engine/experts/eviction_policy.h"
#include "engine/experts/expert_residency.h"
#include "engine/experts/expert_stats.h"
#include "engine/experts/expert_store.h"
#include "engine/model/model_files.h"

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
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
  void willUse(std::size_t layer, std::span<const std::int32_t> experts) override;

  std::size_t slots() const { return slotOwner_.size(); }
  std::size_t expertBytes() const { return expertBytes_; }
  ExpertStats stats() const;
  // Whether expert `expert` of `layer` is in a host slot now.
  bool resident(std::size_t layer, std::size_t expert) const;
  // Every expert's tier (Host when its slot is read and ready, Disk otherwise) and its uses
  // through expert() since construction.
  ExpertResidency residency() const;

 private:
  struct Part {  // one of an expert's six stored tensors, at its offset inside a slot
    std::size_t offset, bytes;
  };
  enum class SlotState : std::uint8_t { Empty, Reading, Ready };

  std::byte* slotMemory(std::size_t slot) const;
  // Reads expert `id`'s bytes into `slot` (no lock held; the slot is Reading, so nobody else
  // touches it). Throws ModelError on a failed read.
  void read(std::size_t slot, std::size_t id);
  // Under the lock: the slot now holds `id`, ready.
  void publish(std::size_t slot, std::size_t id);
  // Under the lock: empties a slot (a failed read's), so it holds no expert and no error.
  void release(std::size_t slot);
  // Under the lock: a slot for a new expert, empty or the policy's victim among slots neither
  // being read, nor just returned, nor read ahead and not used yet.
  std::size_t claimSlot(std::size_t id);
  // Under the lock: starts reads for the next planned experts, up to kReadAhead not yet used.
  void readAhead();
  void readerLoop();

  static constexpr std::size_t kReadAhead = 2;

  const ModelWeights& weights_;
  std::size_t experts_, expertBytes_ = 0;
  std::vector<Part> parts_;                              // the slot layout: w1, its scale, w2, ...
  std::vector<std::vector<const TensorView*>> tensors_;  // [layer * experts + e] -> six views
  std::unique_ptr<std::byte[]> memory_;
  std::vector<std::int64_t> slotOwner_;  // layer * experts + e, or -1
  std::vector<std::int64_t> slotOf_;     // [layer * experts + e] -> slot or -1
  std::vector<std::uint64_t> uses_;      // [layer * experts + e] -> calls of expert()
  std::vector<ExpertWeights> slotWeights_;
  std::vector<SlotState> state_;
  std::vector<std::uint8_t> aheadUnused_;  // read ahead, not asked for yet: not a victim
  std::vector<std::exception_ptr> failure_;
  SlotScores scores_;
  ExpertStats stats_;
  std::size_t current_ = SIZE_MAX;  // the slot expert() last returned: in use, not a victim

  std::vector<std::size_t> plan_;  // the current layer's experts (ids) in the order of use
  std::size_t planned_ = 0;        // plan_[.. planned_) have been read ahead or found resident
  std::size_t ahead_ = 0;          // slots read (or being read) ahead and not asked for yet
  std::deque<std::pair<std::size_t, std::size_t>> jobs_;  // (slot, id)
  mutable std::mutex mutex_;
  std::condition_variable wake_, done_;
  bool stop_ = false;
  std::thread reader_;
};

// Bytes of every routed expert of the model (what an unconstrained host tier would hold).
std::size_t routedExpertBytes(const ModelFiles& files);

}  // namespace flint::engine
