#pragma once
// Test helpers: the generated checkpoints (built by make_checkpoint.py into the build tree),
// and a scratch copy of one that a test can damage in a precise way.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

namespace flint::engine::testing {

// A generated checkpoint folder by name ("tiny_sharded", "small_dspark", ...) and the totals
// its writer computed.
std::filesystem::path generatedCheckpoint(const std::string& name);
nlohmann::json writerTotals(const std::string& name);

class ScratchCheckpoint {
 public:
  // Copies the generated checkpoint `name` into a fresh folder, removed again by the destructor.
  explicit ScratchCheckpoint(const std::string& name);
  ~ScratchCheckpoint();
  ScratchCheckpoint(const ScratchCheckpoint&) = delete;
  ScratchCheckpoint& operator=(const ScratchCheckpoint&) = delete;

  const std::filesystem::path& dir() const { return dir_; }
  // The file holding `tensor`, from the index (or model.safetensors).
  std::filesystem::path shardOf(const std::string& tensor) const;

  // Rewrites a safetensors header in place; the data section is kept byte for byte.
  void editHeader(const std::filesystem::path& file,
                  const std::function<void(nlohmann::json&)>& edit) const;
  void editJson(const std::string& fileName,
                const std::function<void(nlohmann::json&)>& edit) const;
  // Drops a tensor from its shard's header and from the index.
  void removeTensor(const std::string& tensor) const;
  void truncate(const std::filesystem::path& file, std::uint64_t bytesToDrop) const;
  void overwriteHeaderLength(const std::filesystem::path& file, std::uint64_t length) const;

 private:
  std::filesystem::path dir_;
};

}  // namespace flint::engine::testing
