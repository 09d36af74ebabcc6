#include "engine/gpu/device_expert_slots.h"

#include <algorithm>

namespace flint::engine {

namespace {
// Each pass, every expert's use count decays by this much, so a formerly hot expert fades.
constexpr double kDecayPerPass = 0.99;
}  // namespace

DeviceExpertSlots::DeviceExpertSlots(const CudaOps& ops, const ModelWeights& weights,
                                     std::size_t slots)
    : ops_(ops) {
  const bool any = !weights.layers.empty() && !weights.layers.front().moe.experts.empty();
  experts_ = any ? weights.layers.front().moe.experts.size() : 0;
  if (!any) slots = 0;
  slotBytes_ = any ? packedExpertBytes(weights.layers.front().moe.experts.front()) : 0;
  owner_.assign(slots, -1);
  landed_.assign(slots, 0);
  views_.resize(slots);
  slotOf_.assign(weights.layers.size() * experts_, -1);
  uses_.assign(weights.layers.size() * experts_, 0.0);
  if (slots == 0) return;
  memory_ = ops.allocate(slots * slotBytes_);
  staging_ = ops.allocatePinned(kStagingSlots * slotBytes_);
  copies_ = ops.createStream();
}

std::size_t DeviceExpertSlots::residentCount() const {
  std::lock_guard lock(residencyMutex_);
  return std::size_t(std::count_if(landed_.begin(), landed_.end(), [](auto l) { return l != 0; }));
}

std::vector<std::uint8_t> DeviceExpertSlots::onDevice() const {
  std::vector<std::uint8_t> out(slotOf_.size(), 0);
  std::lock_guard lock(residencyMutex_);
  for (std::size_t s = 0; s < owner_.size(); ++s)
    if (owner_[s] >= 0 && landed_[s]) out[std::size_t(owner_[s])] = 1;
  return out;
}

const DeviceExpert* DeviceExpertSlots::find(std::size_t layer, std::size_t expert) {
  const std::size_t key = layer * experts_ + expert;
  uses_[key] += 1.0;
  const std::int64_t slot = slotOf_[key];
  if (slot >= 0 && landed_[std::size_t(slot)]) {
    ++hits_;
    return &views_[std::size_t(slot)];
  }
  ++misses_;
  return nullptr;
}

const DeviceExpert* DeviceExpertSlots::resident(std::size_t layer, std::size_t expert) const {
  const std::int64_t slot = slotOf_[layer * experts_ + expert];
  return slot >= 0 && landed_[std::size_t(slot)] ? &views_[std::size_t(slot)] : nullptr;
}

void DeviceExpertSlots::request(std::size_t layer, std::size_t expert) {
  if (owner_.empty()) return;
  const std::int64_t key = std::int64_t(layer * experts_ + expert);
  if (slotOf_[std::size_t(key)] >= 0) return;  // resident or on its way
  requests_.push_back(key);
}

void DeviceExpertSlots::land() {
  // Copies still moving stay unusable (their experts compute on the CPU) rather than stall.
  if (copiesInFlight_ && !ops_.finished(copies_)) return;
  copiesInFlight_ = false;
  std::lock_guard lock(residencyMutex_);
  for (std::size_t s = 0; s < owner_.size(); ++s) landed_[s] = owner_[s] >= 0;
}

void DeviceExpertSlots::promote(ExpertStore& below) {
  for (double& u : uses_) u *= kDecayPerPass;
  land();
  if (owner_.empty() || copiesInFlight_) {  // staging is still being read: promote next time
    requests_.clear();
    return;
  }
  // The most used requests first, at most one staging slot each.
  std::sort(requests_.begin(), requests_.end());
  requests_.erase(std::unique(requests_.begin(), requests_.end()), requests_.end());
  std::stable_sort(requests_.begin(), requests_.end(), [&](std::int64_t a, std::int64_t b) {
    return uses_[std::size_t(a)] > uses_[std::size_t(b)];
  });
  std::size_t staged = 0;
  for (const std::int64_t key : requests_) {
    if (staged == kStagingSlots) break;
    // A free slot, else the least used owner, if this expert is used more.
    std::size_t victim = owner_.size();
    double lowest = 0;
    for (std::size_t s = 0; s < owner_.size(); ++s) {
      const double u = owner_[s] < 0 ? -1.0 : uses_[std::size_t(owner_[s])];
      if (victim == owner_.size() || u < lowest) {
        victim = s;
        lowest = u;
      }
    }
    if (owner_[victim] >= 0 && lowest >= uses_[std::size_t(key)]) break;  // the rest are colder
    {
      std::lock_guard lock(residencyMutex_);
      if (owner_[victim] >= 0) slotOf_[std::size_t(owner_[victim])] = -1;
      owner_[victim] = key;
      slotOf_[std::size_t(key)] = std::int64_t(victim);
      landed_[victim] = 0;
    }
    std::uint8_t* stage = staging_.as<std::uint8_t>() + staged * slotBytes_;
    std::uint8_t* device = memory_.as<std::uint8_t>() + victim * slotBytes_;
    const std::size_t layer = std::size_t(key) / experts_, expert = std::size_t(key) % experts_;
    views_[victim] = packExpert(below.expert(layer, expert), stage, device);
    ops_.copyToDeviceAsync(device, stage, slotBytes_, copies_);
    copiesInFlight_ = true;
    ++staged;
    ++promotions_;
  }
  requests_.clear();
}

}  // namespace flint::engine
