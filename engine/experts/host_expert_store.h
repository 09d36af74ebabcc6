#pragma once
// Routed experts in a host-RAM budget, the rest read on demand from the checkpoint's shards
// (the disk tier). A slot holds one expert's three weight matrices and their scales, filled by
// explicit reads (not the page cache's mapping), so what stays resident is this store's choice.
// Lossless: a slot holds the checkpoint's bytes unchanged, and the kernels read them exactly as
// they read the mapped ones, so outputs are bit-identical whatever the budget.
//
// expert(), willUse() and prefetch() are called from the engine thread only; the weights
// expert() returns stay valid until its next call, which is how the MoE uses them (one expert at
// a time). willUse() hands the layer's expert order to a reader thread that fills slots a few
// experts ahead while the engine computes; expert() waits for a slot still being read. The order
// is the routing's own, so that read-ahead is exact: it only moves reads earlier. prefetch()
// hands over a guess for a later layer; its reads only take slots the current layer is not
// waiting for, so a wrong guess costs bandwidth and a slot, never a result.
#include "engine/experts/eviction_policy.h"
#include "engine/experts/expert_residency.h"
#include "engine/experts/expert_slot_layout.h"
#include "engine/experts/expert_stats.h"
#include "engine/experts/expert_store.h"
#include "engine/experts/prefetch_tally.h"
#include "engine/model/model_files.h"

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
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
  void prefetch(std::size_t layer, std::span<const std::int32_t> experts) override;
  bool wantsPrefetch() const override { return true; }

  std::size_t slots() const { return slotOwner_.size(); }
  std::size_t expertBytes() const { return layout_.slotBytes(); }
  ExpertStats stats() const override;
  // Whether expert `expert` of `layer` is in a host slot now.
  bool resident(std::size_t layer, std::size_t expert) const;
  // Every expert's tier (Host when its slot is read and ready, Disk otherwise) and its uses
  // through expert() since construction.
  ExpertResidency residency() const override;

 private:
  enum class SlotState : std::uint8_t { Empty, Reading, Ready };

  // Under the lock: the slot now holds `id`, ready.
  void publish(std::size_t slot, std::size_t id);
  // Under the lock: empties a slot (a failed read's), so it holds no expert and no error.
  void release(std::size_t slot);
  // Under the lock: an empty slot, else the policy's victim among slots neither being read, nor
  // just returned, nor read ahead and not used yet (and, when `spareAwaited`, not holding an
  // expert the current layer still waits for); slots() when there is none.
  std::size_t findSlot(bool spareAwaited) const;
  // Under the lock: `slot` now belongs to `id`, being read.
  void claim(std::size_t slot, std::size_t id);
  // Under the lock: the slot no longer holds an unused guess.
  void forgetGuess(std::size_t slot);
  // Under the lock: starts reads for the next planned experts, up to kReadAhead not yet used,
  // then for the prefetch guesses while slots allow.
  void readAhead();
  void readerLoop();

  static constexpr std::size_t kReadAhead = 2;

  const ModelWeights& weights_;
  ExpertSlotLayout layout_;
  std::size_t experts_;
  SlotMemory memory_;
  std::vector<std::int64_t> slotOwner_;  // layer * experts + e, or -1
  std::vector<std::int64_t> slotOf_;     // [layer * experts + e] -> slot or -1
  std::vector<std::uint64_t> uses_;      // [layer * experts + e] -> calls of expert()
  std::vector<ExpertWeights> slotWeights_;
  std::vector<SlotState> state_;
  std::vector<std::uint8_t> aheadUnused_;  // read ahead, not asked for yet: not a victim
  std::vector<std::uint8_t> awaited_;      // holds an expert of the current plan not used yet
  std::vector<std::uint8_t> prefetched_;   // read on a guess, not asked for yet
  std::size_t prefetchedSlots_ = 0;        // slots with prefetched_ set
  std::vector<std::exception_ptr> failure_;
  SlotScores scores_;
  ExpertStats stats_;
  std::size_t current_ = SIZE_MAX;  // the slot expert() last returned: in use, not a victim

  std::vector<std::size_t> plan_;     // the current layer's experts (ids) in the order of use
  std::size_t planned_ = 0;           // plan_[.. planned_) have been read ahead or found resident
  std::size_t ahead_ = 0;             // slots read (or being read) ahead and not asked for yet
  std::vector<std::size_t> guesses_;  // ids guessed for a later layer, in the guess's order
  std::size_t guessed_ = 0;           // guesses_[.. guessed_) are resident or being read
  PrefetchTally tally_;
  std::deque<std::pair<std::size_t, std::size_t>> jobs_;  // (slot, id)
  mutable std::mutex mutex_;
  std::condition_variable wake_, done_;
  bool stop_ = false;
  std::thread reader_;
};

// Bytes of every routed expert of the model (what an unconstrained host tier would hold).
std::size_t routedExpertBytes(const ModelFiles& files);

}  // namespace flint::engine
