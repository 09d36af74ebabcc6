#pragma once
// The device tier of the expert store: a fixed number of expert slots in device memory, each
// holding one routed expert packed as packExpert() lays it out. An expert not in a slot is
// computed on the CPU from the tier below (host RAM or the mapped checkpoint) while the GPU
// computes the rest of its layer; when it is used more often than the coldest resident expert,
// it is copied up, from pinned staging on a copy stream of its own, between passes. Only the
// engine thread calls it.
#include "engine/backend/cuda_ops.h"
#include "engine/experts/expert_store.h"
#include "engine/gpu/device_weights.h"
#include "engine/model/model_weights.h"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

namespace flint::engine {

class DeviceExpertSlots {
 public:
  // `slots` slots of experts shaped like weights.layers[0].moe.experts[0] (zero: no device
  // tier; every routed expert computes on the CPU).
  DeviceExpertSlots(const CudaOps& ops, const ModelWeights& weights, std::size_t slots);

  std::size_t slots() const { return owner_.size(); }
  std::size_t slotBytes() const { return slotBytes_; }

  // The expert's device views when it is resident and its copy has landed, else null. Counts a
  // use either way (what decides promotions).
  const DeviceExpert* find(std::size_t layer, std::size_t expert);
  // The same without counting a use (for a second look in the same pass).
  const DeviceExpert* resident(std::size_t layer, std::size_t expert) const;
  // Asks for expert (layer, e) to move up after this pass.
  void request(std::size_t layer, std::size_t expert);
  // Before a forward pass: the copies promote() started become usable once they have all
  // finished; it never waits for them.
  void land();
  // After a forward pass, with the compute stream idle and no copy in flight: the requested
  // experts used more than a slot's owner are read from `below`, packed into pinned staging and
  // copied up on the copy stream, overlapping whatever comes next. A slot's old owner leaves
  // before its copy starts, so no pass reads a slot while it is overwritten.
  void promote(ExpertStore& below);

  // Figures and residency for the statistics; safe from any thread.
  std::size_t hits() const { return hits_.load(std::memory_order_relaxed); }
  std::size_t misses() const { return misses_.load(std::memory_order_relaxed); }
  std::size_t promotions() const { return promotions_.load(std::memory_order_relaxed); }
  std::size_t residentCount() const;
  // [layer * experts + expert]: 1 where the expert is in a landed slot.
  std::vector<std::uint8_t> onDevice() const;

 private:
  static constexpr std::size_t kStagingSlots = 4;  // promotions in flight per pass

  const CudaOps& ops_;
  std::size_t experts_ = 0;  // per layer
  std::size_t slotBytes_ = 0;
  DeviceBuffer memory_;  // [slots, slotBytes]
  PinnedBuffer staging_;
  CudaStream copies_;
  std::vector<std::int64_t> owner_;     // slot -> layer * experts + e, or -1
  std::vector<std::int64_t> slotOf_;    // layer * experts + e -> slot, or -1
  std::vector<std::uint8_t> landed_;    // slot: its copy has completed
  std::vector<DeviceExpert> views_;     // slot -> views
  std::vector<double> uses_;            // layer * experts + e -> decayed use count
  std::vector<std::int64_t> requests_;  // keys
  std::atomic<std::size_t> hits_{0}, misses_{0}, promotions_{0};
  mutable std::mutex residencyMutex_;  // owner_ and landed_ against onDevice()
  bool copiesInFlight_ = false;
};

}  // namespace flint::engine
