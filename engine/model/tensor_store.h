#pragma once
// All tensors of a checkpoint folder by name, whether it is one model.safetensors or shards
// listed in model.safetensors.index.json. Opening reads headers only; a shard is mapped when
// one of its tensors' bytes is first used.
#include "engine/model/dtype.h"
#include "engine/model/safetensors_file.h"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace flint::engine {

// A typed window onto one tensor's bytes in its shard.
class TensorView {
 public:
  TensorView(const SafetensorsFile& shard, const TensorEntry& entry)
      : shard_(&shard), entry_(&entry) {}

  const std::string& name() const { return entry_->name; }
  DType dtype() const { return entry_->dtype; }
  const std::vector<std::int64_t>& shape() const { return entry_->shape; }
  std::uint64_t byteSize() const { return entry_->end - entry_->begin; }
  std::string shardName() const { return shard_->path().filename().string(); }
  // Maps the shard on first use.
  std::span<const std::byte> bytes() const { return shard_->bytes(*entry_); }
  // Reads the bytes into `out` without the mapping (SafetensorsFile::read).
  void read(std::span<std::byte> out) const { shard_->read(*entry_, out); }

 private:
  const SafetensorsFile* shard_;
  const TensorEntry* entry_;
};

class TensorStore {
 public:
  static constexpr const char* kIndexFile = "model.safetensors.index.json";
  static constexpr const char* kSingleFile = "model.safetensors";

  // Throws ModelError: no weights in `dir`, a bad index, a missing or invalid shard, or an
  // index that disagrees with the shards' headers.
  static TensorStore open(const std::filesystem::path& dir);

  const TensorView* find(std::string_view name) const;
  const std::vector<TensorView>& tensors() const { return tensors_; }  // sorted by name
  std::size_t shardCount() const { return shards_.size(); }
  std::size_t mappedShardCount() const;

 private:
  std::vector<std::unique_ptr<SafetensorsFile>> shards_;
  std::vector<TensorView> tensors_;
};

}  // namespace flint::engine
