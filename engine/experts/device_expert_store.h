#pragma once
// The device tier above another expert store (host RAM over disk, or the mapped checkpoint):
// device slots within a byte budget, filled over a link from the tier below, evicted by the
// same policy as the host tier. Where an expert not on the device is computed follows
// ExpertPlacement: a batch at or above its threshold (prefill) waits for the expert to move up
// and computes on the device; a smaller one (decode) computes on the tier below while a copy
// moves up behind it, so the next use finds it on the device.
//
// The device here is simulated: slots are host memory and the link a SimulatedLink, so the
// moves, the budget, the policy and the placement rule run and are tested on machines without a
// GPU. "Computing on the device" runs the same CPU kernels on the slot's copy, which holds the
// checkpoint's bytes unchanged: outputs are bit-identical to the all-resident run. The device's
// speed enters only the placement's modelled speedup.
//
// expert(), willUse() and prefetch() are called from the engine thread only; the weights
// expert() returns stay valid until its next call. A copy's bytes are taken on the engine thread
// at once (the tier below may reuse its slot after its next call); a transfer thread waits out
// the link's time before the slot is used.
#include "engine/experts/eviction_policy.h"
#include "engine/experts/expert_placement.h"
#include "engine/experts/expert_slot_layout.h"
#include "engine/experts/expert_store.h"
#include "engine/experts/prefetch_tally.h"
#include "engine/experts/simulated_link.h"

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace flint::engine {

class DeviceExpertStore final : public ExpertStore {
 public:
  // At most `budgetBytes` of device memory for expert slots over `below` (which must outlive
  // this store). Throws ModelError when the budget cannot hold one token's experts of a layer.
  DeviceExpertStore(const ModelFiles& files, const ModelWeights& weights, ExpertStore& below,
                    std::size_t budgetBytes, EvictionPolicy policy, double linkBytesPerSecond,
                    ExpertPlacement placement);
  ~DeviceExpertStore() override;

  const ExpertWeights& expert(std::size_t layer, std::size_t e) override {
    return expertForBatch(layer, e, 1);
  }
  const ExpertWeights& expertForBatch(std::size_t layer, std::size_t expert,
                                      std::size_t tokens) override;
  void willUse(std::size_t layer, std::span<const std::int32_t> experts) override;
  void prefetch(std::size_t layer, std::span<const std::int32_t> experts) override;
  bool wantsPrefetch() const override { return below_.wantsPrefetch(); }

  std::size_t slots() const { return slotOwner_.size(); }
  std::size_t expertBytes() const { return layout_.slotBytes(); }
  const ExpertPlacement& placement() const { return placement_; }
  double linkBytesPerSecond() const { return link_.bytesPerSecond(); }
  // The tier below's figures with the device's added.
  ExpertStats stats() const override;
  // The tier below's picture, every use counted (device hits never reach the tier below), and
  // onDevice marking the experts in a device slot that has arrived.
  ExpertResidency residency() const override;
  // Whether expert `expert` of `layer` is in a device slot now (arrived, not moving).
  bool onDevice(std::size_t layer, std::size_t expert) const;
  // Waits until every copy moving up has arrived (tests).
  void settle();

 private:
  enum class SlotState : std::uint8_t { Empty, Moving, Ready };

  // Under the lock: an empty slot, else the policy's victim among arrived slots other than the
  // one just returned; slots() when there is none.
  std::size_t findSlot() const;
  // Under the lock: `slot` now belongs to `id`, moving.
  void claim(std::size_t slot, std::size_t id);
  // Under the lock: the slot holds `id` and may be used.
  void arrive(std::size_t slot, std::size_t id);
  void transferLoop();

  // Copies moving up behind decode at most; more wait for a later miss (the link is busy).
  static constexpr std::size_t kMovingBehind = 4;

  const ModelWeights& weights_;
  ExpertStore& below_;
  ExpertSlotLayout layout_;
  std::size_t experts_;
  ExpertPlacement placement_;
  SimulatedLink link_;
  SlotMemory memory_;
  std::vector<std::int64_t> slotOwner_;  // layer * experts + e, or -1
  std::vector<std::int64_t> slotOf_;     // [layer * experts + e] -> slot or -1
  std::vector<std::uint64_t> uses_;      // [layer * experts + e] -> calls of expert()
  std::vector<ExpertWeights> slotWeights_;
  std::vector<SlotState> state_;
  SlotScores scores_;
  ExpertStats stats_;               // the device's fields only
  std::size_t misses_ = 0;          // uses handed to the tier below
  std::size_t current_ = SIZE_MAX;  // the slot expert() last returned: in use, not a victim

  PrefetchTally tally_;                  // the guesses against every use, the device's included
  std::vector<std::int32_t> belowPlan_;  // willUse()'s experts not on the device
  std::deque<std::pair<std::size_t, std::size_t>> moving_;  // (slot, id) behind decode
  std::size_t inFlight_ = 0;                                // queued or on the link
  mutable std::mutex mutex_;
  std::condition_variable wake_, arrived_;
  bool stop_ = false;
  std::thread transfer_;
};

}  // namespace flint::engine
