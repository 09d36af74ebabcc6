#include "engine/experts/host_expert_store.h"

#include "engine/model/model_error.h"

#include <chrono>
#include <new>
#include <string>

namespace flint::engine {
namespace {

constexpr std::size_t kAlign = 64;  // each part starts on a cache line, as the kernels like

std::size_t alignUp(std::size_t v) {
  return (v + kAlign - 1) / kAlign * kAlign;
}

std::string expertPrefix(std::size_t layer, std::size_t expert) {
  return "layers." + std::to_string(layer) + ".ffn.experts." + std::to_string(expert) + ".";
}

// The stored tensors of one expert, in slot order; a matrix without a scale (BF16) has none.
std::vector<const TensorView*> expertTensors(const TensorStore& store, std::size_t layer,
                                             std::size_t expert) {
  std::vector<const TensorView*> out;
  for (const char* w : {"w1", "w2", "w3"}) {
    const std::string name = expertPrefix(layer, expert) + w;
    const TensorView* weight = store.find(name + ".weight");
    if (!weight) throw ModelError("tensor " + name + ".weight is missing");
    out.push_back(weight);
    out.push_back(store.find(name + ".scale"));
  }
  return out;
}

double gib(std::size_t bytes) {
  return double(bytes) / double(std::size_t(1) << 30);
}

}  // namespace

std::size_t routedExpertBytes(const ModelFiles& files) {
  std::size_t total = 0;
  for (const TensorView& t : files.weights.tensors())
    if (t.name().find(".ffn.experts.") != std::string::npos && t.name().rfind("mtp.", 0) != 0)
      total += std::size_t(t.byteSize());
  return total;
}

HostExpertStore::HostExpertStore(const ModelFiles& files, const ModelWeights& weights,
                                 std::size_t budgetBytes, EvictionPolicy policy)
    : weights_(weights), experts_(std::size_t(files.config.nRoutedExperts)), scores_(policy, 1, 1) {
  const std::size_t layers = weights.layers.size();
  tensors_.reserve(layers * experts_);
  for (std::size_t l = 0; l < layers; ++l)
    for (std::size_t e = 0; e < experts_; ++e)
      tensors_.push_back(expertTensors(files.weights, l, e));
  // The slot layout from the first expert; every other must match it.
  for (const TensorView* t : tensors_.front()) {
    const std::size_t bytes = t ? std::size_t(t->byteSize()) : 0;
    parts_.push_back({expertBytes_, bytes});
    expertBytes_ += alignUp(bytes);
  }
  for (std::size_t i = 0; i < tensors_.size(); ++i)
    for (std::size_t p = 0; p < parts_.size(); ++p) {
      const TensorView* t = tensors_[i][p];
      if ((t ? std::size_t(t->byteSize()) : 0) != parts_[p].bytes)
        throw ModelError("routed expert " + std::to_string(i % experts_) + " of layer " +
                         std::to_string(i / experts_) +
                         " differs in size from the others; the expert store needs one shape");
    }

  const std::size_t perToken = std::size_t(files.config.numExpertsPerTok);
  const std::size_t wanted = std::min(budgetBytes / expertBytes_, tensors_.size());
  if (wanted < perToken)
    throw ModelError("a host budget of " + std::to_string(budgetBytes >> 20) +
                     " MiB holds fewer than the " + std::to_string(perToken) +
                     " experts one token uses in a layer (" + std::to_string(expertBytes_ >> 10) +
                     " KiB each); give the experts at least " +
                     std::to_string((perToken * expertBytes_ + (1 << 20) - 1) >> 20) + " MiB");
  try {
    memory_.reset(new std::byte[wanted * expertBytes_ + kAlign]);
  } catch (const std::bad_alloc&) {
    throw ModelError("could not allocate " + std::to_string(gib(wanted * expertBytes_)) +
                     " GiB of host memory for the experts; choose a smaller host budget");
  }
  slotOwner_.assign(wanted, -1);
  slotOf_.assign(tensors_.size(), -1);
  uses_.assign(tensors_.size(), 0);
  slotWeights_.resize(wanted);
  state_.assign(wanted, SlotState::Empty);
  aheadUnused_.assign(wanted, 0);
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
  return stats_;
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

std::byte* HostExpertStore::slotMemory(std::size_t slot) const {
  return reinterpret_cast<std::byte*>(alignUp(reinterpret_cast<std::uintptr_t>(memory_.get())) +
                                      slot * expertBytes_);
}

void HostExpertStore::read(std::size_t slot, std::size_t id) {
  std::byte* base = slotMemory(slot);
  for (std::size_t p = 0; p < parts_.size(); ++p)
    if (const TensorView* t = tensors_[id][p])
      t->read(std::span<std::byte>(base + parts_[p].offset, parts_[p].bytes));
}

void HostExpertStore::publish(std::size_t slot, std::size_t id) {
  ExpertWeights w = weights_.layers[id / experts_].moe.experts[id % experts_];
  std::byte* base = slotMemory(slot);
  WeightView* views[] = {&w.w1, &w.w2, &w.w3};
  for (std::size_t m = 0; m < 3; ++m) {
    views[m]->data = base + parts_[2 * m].offset;
    if (parts_[2 * m + 1].bytes)
      views[m]->scales = reinterpret_cast<const std::uint8_t*>(base + parts_[2 * m + 1].offset);
  }
  slotWeights_[slot] = w;
  state_[slot] = SlotState::Ready;
  stats_.bytesRead += expertBytes_;
}

void HostExpertStore::release(std::size_t slot) {
  if (const std::int64_t owner = slotOwner_[slot]; owner >= 0) slotOf_[std::size_t(owner)] = -1;
  slotOwner_[slot] = -1;
  state_[slot] = SlotState::Empty;
  failure_[slot] = nullptr;
}

std::size_t HostExpertStore::claimSlot(std::size_t id) {
  std::size_t slot = slotOwner_.size();
  for (std::size_t s = 0; s < slotOwner_.size() && slot == slotOwner_.size(); ++s)
    if (state_[s] == SlotState::Empty) slot = s;
  if (slot == slotOwner_.size())
    slot = scores_.victim([&](std::size_t s) {
      return state_[s] == SlotState::Ready && s != current_ && !aheadUnused_[s];
    });
  if (slot == slotOwner_.size())
    throw ModelError("the host expert budget has no free slot; give the experts more memory");
  if (const std::int64_t old = slotOwner_[slot]; old >= 0) slotOf_[std::size_t(old)] = -1;
  slotOwner_[slot] = std::int64_t(id);
  slotOf_[id] = std::int64_t(slot);
  state_[slot] = SlotState::Reading;
  failure_[slot] = nullptr;
  return slot;
}

void HostExpertStore::readAhead() {
  // Never more ahead than leaves room for the expert in use and a free victim.
  const std::size_t limit = std::min(kReadAhead, slotOwner_.size() / 2);
  while (planned_ < plan_.size() && ahead_ < limit) {
    const std::size_t id = plan_[planned_++];
    if (slotOf_[id] >= 0) continue;  // resident, or already being read
    const std::size_t slot = claimSlot(id);
    aheadUnused_[slot] = 1;
    ++ahead_;
    jobs_.emplace_back(slot, id);
    wake_.notify_one();
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
      read(slot, id);
    } catch (...) {
      failure = std::current_exception();
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    lock.lock();
    stats_.readSeconds += seconds;
    if (failure)
      failure_[slot] = failure;  // stays Reading until expert() collects the error
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
    if (failure_[s]) release(s);
  }
  plan_.clear();
  for (std::int32_t e : experts) plan_.push_back(layer * experts_ + std::size_t(e));
  planned_ = 0;
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
    if (failure_[slot]) {  // the read ahead failed: free the slot, report it here
      const std::exception_ptr failure = failure_[slot];
      release(slot);
      std::rethrow_exception(failure);
    }
    if (ahead) {
      ++stats_.diskReads;
      ++stats_.readAhead;
    } else {
      ++stats_.hostHits;
    }
    scores_.touch(slot, ahead);
    current_ = slot;
    readAhead();
    return slotWeights_[slot];
  }
  ++stats_.diskReads;
  const std::size_t slot = claimSlot(id);
  current_ = slot;
  lock.unlock();
  const auto start = std::chrono::steady_clock::now();
  try {
    read(slot, id);
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
