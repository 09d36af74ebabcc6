#pragma once
// The expert stores a load asks for, stacked and handed to the model: a host budget over the
// disk (HostExpertStore), a device budget above that or above the mapped checkpoint
// (DeviceExpertStore, simulated), or nothing (every expert mapped). Owns the stores, logs the
// plan and the measured placement rule at load, and keeps the residency snapshot Stats shares.
#include "engine/engine.h"
#include "engine/experts/device_expert_store.h"
#include "engine/experts/host_expert_store.h"
#include "engine/gpu/device_expert_slots.h"
#include "engine/model/transformer.h"

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>

namespace flint::engine {

class ExpertTiers {
 public:
  // Builds the stores `options` ask for and sets them on `model`. Throws ModelError for a budget
  // too small, or a device budget without a device tier to put it in.
  ExpertTiers(Transformer& model, const LoadOptions& options, kernels::ThreadPool* pool);

  // The CUDA backbone's expert slots, counted into stats() and residency() (null: none).
  void setDeviceSlots(const DeviceExpertSlots* slots) { slots_ = slots; }
  // The store the model reads its routed experts from.
  ExpertStore& store() { return top_ ? *top_ : resident_; }
  // Empty when every expert stays mapped.
  std::optional<ExpertStats> stats() const;
  // Empty for a model without routed experts.
  std::optional<ExpertResidency> residency() const;
  std::optional<ExpertPlacement> placement() const;
  // residency(), taken again only when the last one is older than kSnapshotEvery; null when
  // every expert stays mapped. For Stats on every token without copying the map each time.
  std::shared_ptr<const ExpertResidency> snapshot();

  static constexpr std::chrono::milliseconds kSnapshotEvery{250};

 private:
  const Transformer& model_;
  ResidentExpertStore resident_;
  std::unique_ptr<HostExpertStore> host_;
  std::unique_ptr<DeviceExpertStore> device_;
  ExpertStore* top_ = nullptr;  // the store the model uses; null: the mapped one
  const DeviceExpertSlots* slots_ = nullptr;

  std::mutex snapshotMutex_;
  std::shared_ptr<const ExpertResidency> snapshot_;
  std::chrono::steady_clock::time_point snapshotAt_{};
};

}  // namespace flint::engine
