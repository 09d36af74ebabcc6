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
  slotWeights_.resize(wanted);
  // Half of the store's memory is used again every `slots` uses or so; decay over a few of those.
  scores_ = SlotScores(policy, wanted, 4.0 * double(wanted));
}

HostExpertStore::~HostExpertStore() = default;

bool HostExpertStore::resident(std::size_t layer, std::size_t expert) const {
  return slotOf_[layer * experts_ + expert] >= 0;
}

void HostExpertStore::fill(std::size_t slot, std::size_t layer, std::size_t expert) {
  const std::size_t id = layer * experts_ + expert;
  if (const std::int64_t old = slotOwner_[slot]; old >= 0) slotOf_[std::size_t(old)] = -1;
  slotOwner_[slot] = -1;  // a failed read leaves the slot empty, never half-filled and owned
  const auto start = std::chrono::steady_clock::now();
  auto* base = reinterpret_cast<std::byte*>(
      alignUp(reinterpret_cast<std::uintptr_t>(memory_.get())) + slot * expertBytes_);
  for (std::size_t p = 0; p < parts_.size(); ++p)
    if (const TensorView* t = tensors_[id][p])
      t->read(std::span<std::byte>(base + parts_[p].offset, parts_[p].bytes));
  stats_.readSeconds +=
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  stats_.bytesRead += expertBytes_;

  ExpertWeights w = weights_.layers[layer].moe.experts[expert];
  WeightView* views[] = {&w.w1, &w.w2, &w.w3};
  for (std::size_t m = 0; m < 3; ++m) {
    views[m]->data = base + parts_[2 * m].offset;
    if (parts_[2 * m + 1].bytes)
      views[m]->scales = reinterpret_cast<const std::uint8_t*>(base + parts_[2 * m + 1].offset);
  }
  slotWeights_[slot] = w;
  slotOwner_[slot] = std::int64_t(id);
  slotOf_[id] = std::int64_t(slot);
}

const ExpertWeights& HostExpertStore::expert(std::size_t layer, std::size_t expert) {
  const std::size_t id = layer * experts_ + expert;
  if (const std::int64_t slot = slotOf_[id]; slot >= 0) {
    ++stats_.hostHits;
    scores_.touch(std::size_t(slot), false);
    return slotWeights_[std::size_t(slot)];
  }
  ++stats_.diskReads;
  std::size_t slot = slotOwner_.size();
  for (std::size_t s = 0; s < slotOwner_.size() && slot == slotOwner_.size(); ++s)
    if (slotOwner_[s] < 0) slot = s;
  if (slot == slotOwner_.size()) slot = scores_.victim();
  fill(slot, layer, expert);
  scores_.touch(slot, true);
  return slotWeights_[slot];
}

}  // namespace flint::engine
