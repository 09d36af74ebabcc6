#pragma once
// One .safetensors file: opening reads and checks only the header (two small reads); the file
// is memory-mapped the first time any tensor's bytes are asked for, so opening all 46 shards
// of V4-Flash costs a few megabytes of header reads, not 160 GB of page-ins.
#include "engine/model/safetensors_header.h"

#include <atomic>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

namespace flint::engine {

class SafetensorsFile {
 public:
  // Throws ModelError naming the file when it cannot be read or its header is invalid.
  static std::unique_ptr<SafetensorsFile> open(const std::filesystem::path& path);
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::filesystem::path& path() const { return path_; }
  const std::vector<TensorEntry>& tensors() const { return tensors_; }
  std::uint64_t fileSize() const { return fileSize_; }

  // The tensor's bytes; maps the file on first use (thread-safe). Throws ModelError if the
  // mapping fails.
  std::span<const std::byte> bytes(const TensorEntry& tensor) const;
  bool isMapped() const;
  // Copies the tensor's bytes into `out` (exactly its size) with explicit reads, not through
  // the mapping: for callers that keep residency in their own memory. Throws ModelError when
  // the file cannot be read or has shrunk. Thread-safe.
  void read(const TensorEntry& tensor, std::span<std::byte> out) const;

 private:
  SafetensorsFile() = default;
  void map() const;

  std::filesystem::path path_;
  int fd_ = -1;
  std::uint64_t fileSize_ = 0;
  std::uint64_t dataStart_ = 0;
  std::vector<TensorEntry> tensors_;
  mutable std::once_flag mapOnce_;
  mutable std::atomic<const std::byte*> mapping_{nullptr};
};

}  // namespace flint::engine
