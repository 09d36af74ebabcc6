#pragma once
// The safetensors header, parsed and checked without touching tensor data: an 8-byte
// little-endian length, then that many bytes of JSON mapping each tensor name to
// {dtype, shape, data_offsets}. Self-contained (nlohmann_json only) so the fuzzer can build it.
#include "engine/model/dtype.h"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace flint::engine {

// One tensor as the header describes it.
struct TensorEntry {
  std::string name;
  DType dtype = DType::F32;
  std::vector<std::int64_t> shape;
  std::uint64_t begin = 0;  // byte range [begin, end) inside the data section
  std::uint64_t end = 0;
};

struct SafetensorsHeader {
  std::uint64_t dataStart = 0;       // 8 + the JSON length: where the data section begins
  std::vector<TensorEntry> tensors;  // sorted by name
};

// Larger headers are refused before anything is allocated for them (V4-Flash's are ~0.3 MB).
inline constexpr std::uint64_t kMaxHeaderBytes = 100u << 20;

// Reads the JSON length from the file's first 8 bytes and checks it fits in `fileSize`.
// Throws ModelError.
std::uint64_t readHeaderLength(std::span<const std::byte> firstBytes, std::uint64_t fileSize);

// Parses and validates the JSON header. `dataBytes` is the size of the data section: every
// data_offsets range must lie inside it, match its shape x dtype size, and not overlap
// another. Throws ModelError naming the tensor.
std::vector<TensorEntry> parseHeaderJson(std::string_view json, std::uint64_t dataBytes);

// Both steps over a whole file held in memory.
SafetensorsHeader parseSafetensors(std::span<const std::byte> file);

}  // namespace flint::engine
