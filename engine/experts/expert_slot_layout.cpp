#include "engine/experts/expert_slot_layout.h"

#include "engine/model/model_error.h"

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <new>
#include <span>
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

}  // namespace

ExpertSlotLayout::ExpertSlotLayout(const ModelFiles& files)
    : experts_(std::size_t(files.config.nRoutedExperts)) {
  const auto layers = std::size_t(files.config.numHiddenLayers);
  tensors_.reserve(layers * experts_);
  for (std::size_t l = 0; l < layers; ++l)
    for (std::size_t e = 0; e < experts_; ++e)
      tensors_.push_back(expertTensors(files.weights, l, e));
  // The layout from the first expert; every other must match it.
  for (const TensorView* t : tensors_.front()) {
    const std::size_t bytes = t ? std::size_t(t->byteSize()) : 0;
    parts_.push_back({slotBytes_, bytes});
    slotBytes_ += alignUp(bytes);
  }
  for (std::size_t i = 0; i < tensors_.size(); ++i)
    for (std::size_t p = 0; p < parts_.size(); ++p) {
      const TensorView* t = tensors_[i][p];
      if ((t ? std::size_t(t->byteSize()) : 0) != parts_[p].bytes)
        throw ModelError("routed expert " + std::to_string(i % experts_) + " of layer " +
                         std::to_string(i / experts_) +
                         " differs in size from the others; the expert store needs one shape");
    }
}

void ExpertSlotLayout::read(std::size_t id, std::byte* slot) const {
  for (std::size_t p = 0; p < parts_.size(); ++p)
    if (const TensorView* t = tensors_[id][p])
      t->read(std::span<std::byte>(slot + parts_[p].offset, parts_[p].bytes));
}

void ExpertSlotLayout::copy(const ExpertWeights& from, std::byte* slot) const {
  const WeightView* views[] = {&from.w1, &from.w2, &from.w3};
  for (std::size_t m = 0; m < 3; ++m) {
    std::memcpy(slot + parts_[2 * m].offset, views[m]->data, parts_[2 * m].bytes);
    if (parts_[2 * m + 1].bytes)
      std::memcpy(slot + parts_[2 * m + 1].offset, views[m]->scales, parts_[2 * m + 1].bytes);
  }
}

ExpertWeights ExpertSlotLayout::bind(const ExpertWeights& like, std::byte* slot) const {
  ExpertWeights w = like;
  WeightView* views[] = {&w.w1, &w.w2, &w.w3};
  for (std::size_t m = 0; m < 3; ++m) {
    views[m]->data = slot + parts_[2 * m].offset;
    if (parts_[2 * m + 1].bytes)
      views[m]->scales = reinterpret_cast<const std::uint8_t*>(slot + parts_[2 * m + 1].offset);
  }
  return w;
}

SlotMemory::SlotMemory(std::size_t count, std::size_t slotBytes, const char* tier)
    : slotBytes_(slotBytes) {
  try {
    memory_.reset(new std::byte[count * slotBytes + kAlign]);
  } catch (const std::bad_alloc&) {
    char gib[32];
    std::snprintf(gib, sizeof gib, "%.1f",
                  double(count * slotBytes) / double(std::size_t(1) << 30));
    throw ModelError(std::string("could not allocate ") + gib + " GiB of " + tier +
                     " memory for the experts; choose a smaller " + tier + " budget");
  }
  base_ = reinterpret_cast<std::byte*>(alignUp(reinterpret_cast<std::uintptr_t>(memory_.get())));
}

}  // namespace flint::engine
