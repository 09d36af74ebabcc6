#include "engine/experts/host_expert_store.h"

#include "engine/model/model_error.h"

#include <algorithm>
#include <chrono>
#include <string>

namespace flint::engine {

std::size_t routedExpertBytes(const ModelFiles& files) {
  std::size_t total = 0;
  for (const TensorView& t : files.weights.tensors())
    if (t.name().find(".ffn.experts.") != std::string::npos && t.name().rfind("mtp.", 0) != 0)
      total += std::size_t(t.byteSize());
  return total;
}

namespace {

std::size_t hostSlots(const ExpertSlotLayout& layout, const ModelFiles& files,
                      std::size_t budgetBytes) {
  const std::size_t perToken = std::size_t(files.config.numExpertsPerTok);
  const std::size_t bytes = layout.slotBytes();
  const std::size_t wanted = std::min(budgetBytes / bytes, layout.expertCount());
  if (wanted < perToken)
    throw ModelError("a host budget of " + std::to_string(budgetBytes >> 20) +
                     " MiB holds fewer than the " + std::to_string(perToken) +
                     " experts one token uses in a layer (" + std::to_string(bytes >> 10) +
                     " KiB each); give the experts at least " +
                     std::to_string((perToken * bytes + (1 << 20) - 1) >> 20) + " MiB");
  return wanted;
}

}  // namespace

HostExpertStore::HostExpertStore(const ModelFiles& files, const ModelWeights& weights,
                                 std::size_t budgetBytes, EvictionPolicy policy)
    : weights_(weights),
      layout_(files),
      experts_(layout_.expertsPerLayer()),
      scores_(policy, 1, 1),
      tally_(experts_) {
  const std::size_t wanted = hostSlots(layout_, files, budgetBytes);
  memory_ = SlotMemory(wanted, layout_.slotBytes(), "host");
  slotOwner_.assign(wanted, -1);
  slotOf_.assign(layout_.expertCount(), -1);
  uses_.assign(layout_.expertCount(), 0);
  slotWeights_.resize(wanted);
  state_.assign(wanted, SlotState::Empty);
  aheadUnused_.assign(wanted, 0);
  awaited_.assign(wanted, 0);
  prefetched_.assign(wanted, 0);
  failure_.resize(wanted);
  // Half of the store's memory is used again every `slots` uses or so; decay over a few of those.
  scores_ = SlotScores(policy, wanted, 4.0 * double(wanted));
  reader_ = std::thread([this] { readerLoop(); });
}

HostExpertStore::~HostExpertStore() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  reader_.join();  // a read in flight finishes into its own slot first; queued ones are dropped
}

ExpertStats HostExpertStore::stats() const {
  std::lock_guard lock(mutex_);
  ExpertStats s = stats_;
  s.prefetchGuessed = tally_.guesses();
  s.prefetchCorrect = tally_.correct();
  return s;
}

bool HostExpertStore::resident(std::size_t layer, std::size_t expert) const {
  std::lock_guard lock(mutex_);
  const std::int64_t slot = slotOf_[layer * experts_ + expert];
  return slot >= 0 && state_[std::size_t(slot)] == SlotState::Ready;
}

ExpertResidency HostExpertStore::residency() const {
  ExpertResidency out;
  out.layers = weights_.layers.size();
  out.experts = experts_;
  out.tiers.resize(slotOf_.size());
  std::lock_guard lock(mutex_);
  for (std::size_t id = 0; id < slotOf_.size(); ++id) {
    const std::int64_t slot = slotOf_[id];
    out.tiers[id] = slot >= 0 && state_[std::size_t(slot)] == SlotState::Ready ? ExpertTier::Host
                                                                               : ExpertTier::Disk;
  }
  out.uses = uses_;
  return out;
}

void HostExpertStore::publish(std::size_t slot, std::size_t id) {
  slotWeights_[slot] =
      layout_.bind(weights_.layers[id / experts_].moe.experts[id % experts_], memory_.slot(slot));
  state_[slot] = SlotState::Ready;
  stats_.bytesRead += layout_.slotBytes();
}

void HostExpertStore::release(std::size_t slot) {
  if (const std::int64_t owner = slotOwner_[slot]; owner >= 0) slotOf_[std::size_t(owner)] = -1;
  slotOwner_[slot] = -1;
  state_[slot] = SlotState::Empty;
  failure_[slot] = nullptr;
  forgetGuess(slot);
  awaited_[slot] = 0;
}

void HostExpertStore::forgetGuess(std::size_t slot) {
  prefetchedSlots_ -= prefetched_[slot];
  prefetched_[slot] = 0;
}

std::size_t HostExpertStore::findSlot(bool spareAwaited) const {
  for (std::size_t s = 0; s < slotOwner_.size(); ++s)
    if (state_[s] == SlotState::Empty) return s;
  return scores_.victim([&](std::size_t s) {
    return state_[s] == SlotState::Ready && s != current_ && !aheadUnused_[s] &&
           !(spareAwaited && awaited_[s]);
  });
}

void HostExpertStore::claim(std::size_t slot, std::size_t id) {
  if (const std::int64_t old = slotOwner_[slot]; old >= 0) slotOf_[std::size_t(old)] = -1;
  slotOwner_[slot] = std::int64_t(id);
  slotOf_[id] = std::int64_t(slot);
  state_[slot] = SlotState::Reading;
  failure_[slot] = nullptr;
  forgetGuess(slot);
  awaited_[slot] = 0;
}

void HostExpertStore::readAhead() {
  // Never more ahead than leaves room for the expert in use and a free victim.
  const std::size_t limit = std::min(kReadAhead, slotOwner_.size() / 2);
  while (planned_ < plan_.size() && ahead_ < limit) {
    const std::size_t id = plan_[planned_++];
    if (slotOf_[id] >= 0) continue;  // resident, or already being read
    const std::size_t slot = findSlot(false);
    if (slot == slotOwner_.size()) {  // every slot busy: expert() reads this one when it comes
      --planned_;
      return;
    }
    claim(slot, id);
    aheadUnused_[slot] = 1;
    ++ahead_;
    jobs_.emplace_back(slot, id);
    wake_.notify_one();
  }
  // Guesses only once this layer's own reads are all under way, only into slots it does not
  // wait for, and in at most a quarter of the slots, so the layer's own misses always find a
  // victim that is not being read.
  if (planned_ < plan_.size()) return;
  const std::size_t guessLimit = std::max<std::size_t>(1, slotOwner_.size() / 4);
  while (guessed_ < guesses_.size() && prefetchedSlots_ < guessLimit) {
    const std::size_t id = guesses_[guessed_];
    if (slotOf_[id] < 0) {
      const std::size_t slot = findSlot(true);
      if (slot == slotOwner_.size()) return;  // no room now; perhaps after the next use
      claim(slot, id);
      prefetched_[slot] = 1;
      ++prefetchedSlots_;
      jobs_.emplace_back(slot, id);
      wake_.notify_one();
    }
    ++guessed_;
  }
}

void HostExpertStore::readerLoop() {
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [&] { return stop_ || !jobs_.empty(); });
    if (stop_) return;
    const auto [slot, id] = jobs_.front();
    jobs_.pop_front();
    lock.unlock();
    const auto start = std::chrono::steady_clock::now();
    std::exception_ptr failure;
    try {
      // The slot is Reading: nobody else touches its memory until it is published.
      layout_.read(id, memory_.slot(slot));
    } catch (...) {
      failure = std::current_exception();
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    lock.lock();
    stats_.readSeconds += seconds;
    if (failure)
      failure_[slot] = failure;  // stays Reading until expert() or willUse() collects it
    else
      publish(slot, id);
    done_.notify_all();
  }
}

void HostExpertStore::willUse(std::size_t layer, std::span<const std::int32_t> experts) {
  std::lock_guard lock(mutex_);
  current_ = SIZE_MAX;  // the caller is done with the last expert
  // A new layer: reads ahead for the last one that were never asked for become ordinary
  // residents, and failed ones free their slots (their error is moot now).
  ahead_ = 0;
  for (std::size_t s = 0; s < state_.size(); ++s) {
    aheadUnused_[s] = 0;
    awaited_[s] = 0;
    if (failure_[s]) release(s);
    // A guess read for another layer that this one does not use stays as an ordinary resident
    // (one still being read stays counted, so guesses never hold more slots than their share).
    if (prefetched_[s] && state_[s] == SlotState::Ready &&
        std::size_t(slotOwner_[s]) / experts_ != layer)
      forgetGuess(s);
  }
  tally_.used(layer, experts);
  guesses_.clear();  // guesses not yet read give way to the layer's own plan
  guessed_ = 0;
  plan_.clear();
  for (std::int32_t e : experts) {
    const std::size_t id = layer * experts_ + std::size_t(e);
    plan_.push_back(id);
    if (const std::int64_t slot = slotOf_[id]; slot >= 0) awaited_[std::size_t(slot)] = 1;
  }
  planned_ = 0;
  readAhead();
}

void HostExpertStore::prefetch(std::size_t layer, std::span<const std::int32_t> experts) {
  std::lock_guard lock(mutex_);
  tally_.guess(layer, experts);
  guesses_.clear();
  for (std::int32_t e : experts) guesses_.push_back(layer * experts_ + std::size_t(e));
  guessed_ = 0;
  readAhead();
}

const ExpertWeights& HostExpertStore::expert(std::size_t layer, std::size_t expert) {
  const std::size_t id = layer * experts_ + expert;
  std::unique_lock lock(mutex_);
  current_ = SIZE_MAX;  // the caller is done with the last expert
  ++uses_[id];
  const std::int64_t at = slotOf_[id];
  if (at >= 0) {
    const auto slot = std::size_t(at);
    const bool ahead = aheadUnused_[slot] != 0;
    done_.wait(lock, [&] { return state_[slot] == SlotState::Ready || failure_[slot]; });
    if (ahead) --ahead_;
    aheadUnused_[slot] = 0;
    awaited_[slot] = 0;
    if (failure_[slot]) {  // the read ahead failed: free the slot, report it here
      const std::exception_ptr failure = failure_[slot];
      release(slot);
      std::rethrow_exception(failure);
    }
    const bool fresh = ahead || prefetched_[slot];
    forgetGuess(slot);
    if (fresh) {
      ++stats_.diskReads;
      ++stats_.readAhead;
    } else {
      ++stats_.hostHits;
    }
    scores_.touch(slot, fresh);
    current_ = slot;
    readAhead();
    return slotWeights_[slot];
  }
  ++stats_.diskReads;
  // Every slot busy (being read, or read ahead for this layer): wait for a read to land.
  std::size_t slot = findSlot(false);
  while (slot == slotOwner_.size() &&
         std::find(state_.begin(), state_.end(), SlotState::Reading) != state_.end()) {
    done_.wait(lock);
    slot = findSlot(false);
  }
  if (slot == slotOwner_.size())
    throw ModelError("the host expert budget has no free slot; give the experts more memory");
  claim(slot, id);
  current_ = slot;
  lock.unlock();
  const auto start = std::chrono::steady_clock::now();
  try {
    layout_.read(id, memory_.slot(slot));
  } catch (...) {
    lock.lock();
    release(slot);
    current_ = SIZE_MAX;
    throw;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  lock.lock();
  stats_.readSeconds += seconds;
  publish(slot, id);
  scores_.touch(slot, true);
  readAhead();
  return slotWeights_[slot];
}

}  // namespace flint::engine
