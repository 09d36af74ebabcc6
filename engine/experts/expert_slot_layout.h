#pragma once
// One routed expert's bytes in a slot of a tier's memory: its three weight matrices and their
// scales, each part on a cache line, in the same layout for every expert (the store needs one
// shape). The host tier fills slots from the checkpoint's shards, the device tier copies them
// from a bound expert; either way the bytes are the checkpoint's, unchanged, so the kernels
// compute exactly what they compute on the mapped weights.
#include "engine/model/model_files.h"
#include "engine/model/model_weights.h"

#include <cstddef>
#include <memory>
#include <vector>

namespace flint::engine {

class ExpertSlotLayout {
 public:
  // Every routed expert of `files`; throws ModelError when a tensor is missing or an expert
  // differs in size from the first.
  explicit ExpertSlotLayout(const ModelFiles& files);

  std::size_t slotBytes() const { return slotBytes_; }
  std::size_t expertsPerLayer() const { return experts_; }
  std::size_t expertCount() const { return tensors_.size(); }  // layers * experts per layer

  // Reads expert `id` (layer * experts + e) from its checkpoint shard into `slot`. Throws
  // ModelError on a failed read (a shard that ends early).
  void read(std::size_t id, std::byte* slot) const;
  // Copies the bytes `from` points at (an expert bound anywhere) into `slot`.
  void copy(const ExpertWeights& from, std::byte* slot) const;
  // `like` (the expert's shapes and formats) pointing into `slot`.
  ExpertWeights bind(const ExpertWeights& like, std::byte* slot) const;

 private:
  struct Part {  // one of the six stored tensors, at its offset inside a slot
    std::size_t offset, bytes;
  };
  std::size_t experts_;
  std::size_t slotBytes_ = 0;
  std::vector<Part> parts_;                              // w1, its scale, w2, its scale, w3, ...
  std::vector<std::vector<const TensorView*>> tensors_;  // [id] -> six views (null: no scale)
};

// Memory for `count` slots of `slotBytes`, each starting on a cache line.
class SlotMemory {
 public:
  SlotMemory() = default;
  // Throws ModelError naming `tier` when the memory cannot be allocated.
  SlotMemory(std::size_t count, std::size_t slotBytes, const char* tier);
  std::byte* slot(std::size_t s) const { return base_ + s * slotBytes_; }

 private:
  std::unique_ptr<std::byte[]> memory_;
  std::byte* base_ = nullptr;
  std::size_t slotBytes_ = 0;
};

}  // namespace flint::engine
