#include "engine/experts/device_expert_store.h"

#include "engine/model/model_error.h"

#include <algorithm>
#include <string>

namespace flint::engine {
namespace {

std::size_t deviceSlots(const ExpertSlotLayout& layout, const ModelFiles& files,
                        std::size_t budgetBytes) {
  const std::size_t perToken = std::size_t(files.config.numExpertsPerTok);
  const std::size_t bytes = layout.slotBytes();
  const std::size_t wanted = std::min(budgetBytes / bytes, layout.expertCount());
  if (wanted < perToken)
    throw ModelError(
        "a device budget of " + std::to_string(budgetBytes >> 20) + " MiB holds fewer than the " +
        std::to_string(perToken) + " experts one token uses in a layer (" +
        std::to_string(bytes >> 10) + " KiB each); give the device at least " +
        std::to_string((perToken * bytes + (1 << 20) - 1) >> 20) + " MiB or no device budget");
  return wanted;
}

}  // namespace

DeviceExpertStore::DeviceExpertStore(const ModelFiles& files, const ModelWeights& weights,
                                     ExpertStore& below, std::size_t budgetBytes,
                                     EvictionPolicy policy, double linkBytesPerSecond,
                                     ExpertPlacement placement)
    : weights_(weights),
      below_(below),
      layout_(files),
      experts_(layout_.expertsPerLayer()),
      placement_(placement),
      link_(linkBytesPerSecond),
      scores_(policy, 1, 1),
      tally_(experts_) {
  if (!(linkBytesPerSecond > 0))
    throw ModelError("the device link needs a bandwidth above zero bytes per second");
  const std::size_t wanted = deviceSlots(layout_, files, budgetBytes);
  memory_ = SlotMemory(wanted, layout_.slotBytes(), "device");
  slotOwner_.assign(wanted, -1);
  slotOf_.assign(layout_.expertCount(), -1);
  uses_.assign(layout_.expertCount(), 0);
  slotWeights_.resize(wanted);
  state_.assign(wanted, SlotState::Empty);
  scores_ = SlotScores(policy, wanted, 4.0 * double(wanted));  // as the host tier decays
  transfer_ = std::thread([this] { transferLoop(); });
}

DeviceExpertStore::~DeviceExpertStore() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  transfer_.join();  // a transfer on the link finishes first; queued ones are dropped
}

void DeviceExpertStore::willUse(std::size_t layer, std::span<const std::int32_t> experts) {
  {
    std::lock_guard lock(mutex_);
    current_ = SIZE_MAX;  // the caller is done with the last expert
    tally_.used(layer, experts);
    // The tier below plans only what the device will not serve (what arrived stays until this
    // layer's uses: only misses claim device slots, and the victim is never the one in use).
    belowPlan_.clear();
    for (std::int32_t e : experts) {
      const std::int64_t slot = slotOf_[layer * experts_ + std::size_t(e)];
      if (slot < 0 || state_[std::size_t(slot)] != SlotState::Ready) belowPlan_.push_back(e);
    }
  }
  below_.willUse(layer, belowPlan_);
}

void DeviceExpertStore::prefetch(std::size_t layer, std::span<const std::int32_t> experts) {
  {
    std::lock_guard lock(mutex_);
    tally_.guess(layer, experts);
  }
  below_.prefetch(layer, experts);
}

ExpertStats DeviceExpertStore::stats() const {
  ExpertStats s = below_.stats();
  std::lock_guard lock(mutex_);
  s.deviceHits = stats_.deviceHits;
  s.prefetchGuessed = tally_.guesses();
  s.prefetchCorrect = tally_.correct();
  // Every miss went below once; what the tier below did not count, the mapping served.
  const std::size_t counted = s.hostHits + s.diskReads;
  s.mappedUses = misses_ > counted ? misses_ - counted : 0;
  s.deviceLoads = stats_.deviceLoads;
  s.devicePromotions = stats_.devicePromotions;
  s.bytesToDevice = stats_.bytesToDevice;
  s.transferSeconds = stats_.transferSeconds;
  return s;
}

ExpertResidency DeviceExpertStore::residency() const {
  ExpertResidency out = below_.residency();
  out.onDevice.assign(slotOf_.size(), 0);
  std::lock_guard lock(mutex_);
  for (std::size_t id = 0; id < slotOf_.size(); ++id)
    if (const std::int64_t slot = slotOf_[id]; slot >= 0)
      out.onDevice[id] = state_[std::size_t(slot)] == SlotState::Ready;
  out.uses = uses_;
  return out;
}

bool DeviceExpertStore::onDevice(std::size_t layer, std::size_t expert) const {
  std::lock_guard lock(mutex_);
  const std::int64_t slot = slotOf_[layer * experts_ + expert];
  return slot >= 0 && state_[std::size_t(slot)] == SlotState::Ready;
}

void DeviceExpertStore::settle() {
  std::unique_lock lock(mutex_);
  arrived_.wait(lock, [&] { return inFlight_ == 0; });
}

std::size_t DeviceExpertStore::findSlot() const {
  for (std::size_t s = 0; s < slotOwner_.size(); ++s)
    if (state_[s] == SlotState::Empty) return s;
  return scores_.victim(
      [&](std::size_t s) { return state_[s] == SlotState::Ready && s != current_; });
}

void DeviceExpertStore::claim(std::size_t slot, std::size_t id) {
  if (const std::int64_t old = slotOwner_[slot]; old >= 0) slotOf_[std::size_t(old)] = -1;
  slotOwner_[slot] = std::int64_t(id);
  slotOf_[id] = std::int64_t(slot);
  state_[slot] = SlotState::Moving;
}

void DeviceExpertStore::arrive(std::size_t slot, std::size_t id) {
  slotWeights_[slot] =
      layout_.bind(weights_.layers[id / experts_].moe.experts[id % experts_], memory_.slot(slot));
  state_[slot] = SlotState::Ready;
}

void DeviceExpertStore::transferLoop() {
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [&] { return stop_ || !moving_.empty(); });
    if (stop_) return;
    const auto [slot, id] = moving_.front();
    moving_.pop_front();
    lock.unlock();
    const double seconds = link_.move(layout_.slotBytes());  // the bytes are already copied
    lock.lock();
    stats_.transferSeconds += seconds;
    arrive(slot, id);
    --inFlight_;
    arrived_.notify_all();
  }
}

const ExpertWeights& DeviceExpertStore::expertForBatch(std::size_t layer, std::size_t expert,
                                                       std::size_t tokens) {
  const std::size_t id = layer * experts_ + expert;
  const bool move = placement_.moveToDevice(tokens);
  std::unique_lock lock(mutex_);
  current_ = SIZE_MAX;  // the caller is done with the last expert
  ++uses_[id];
  if (const std::int64_t at = slotOf_[id]; at >= 0) {
    const auto slot = std::size_t(at);
    // A large batch waits for a copy still moving up; a small one computes below meanwhile.
    if (state_[slot] == SlotState::Moving && move)
      arrived_.wait(lock, [&] { return state_[slot] == SlotState::Ready; });
    if (state_[slot] == SlotState::Ready) {
      ++stats_.deviceHits;
      scores_.touch(slot, false);
      current_ = slot;
      return slotWeights_[slot];
    }
    ++misses_;
    lock.unlock();
    return below_.expertForBatch(layer, expert, tokens);
  }
  ++misses_;
  lock.unlock();
  // Not on the device: the tier below serves the bytes (and its errors, before any device slot
  // is touched).
  const ExpertWeights& host = below_.expertForBatch(layer, expert, tokens);
  lock.lock();
  const std::size_t slot = findSlot();
  if (slot == slotOwner_.size() || (!move && inFlight_ >= kMovingBehind)) return host;
  claim(slot, id);
  lock.unlock();
  // The slot is Moving: nobody else touches its memory until it arrives.
  layout_.copy(host, memory_.slot(slot));
  if (!move) {
    lock.lock();
    ++stats_.devicePromotions;
    stats_.bytesToDevice += layout_.slotBytes();
    scores_.touch(slot, true);
    ++inFlight_;
    moving_.emplace_back(slot, id);
    wake_.notify_one();
    return host;
  }
  const double seconds = link_.move(layout_.slotBytes());
  lock.lock();
  ++stats_.deviceLoads;
  stats_.bytesToDevice += layout_.slotBytes();
  stats_.transferSeconds += seconds;
  arrive(slot, id);
  scores_.touch(slot, true);
  current_ = slot;
  return slotWeights_[slot];
}

}  // namespace flint::engine
