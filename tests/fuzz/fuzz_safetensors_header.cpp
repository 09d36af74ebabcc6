// libFuzzer target for the safetensors header parser. Two views of each input: a whole file
// (8-byte length, JSON, data), and raw JSON whose data section size comes from the input's
// first 8 bytes. Only ModelError may escape the parser; anything else, a crash, a sanitizer
// report or a parsed header that breaks its own guarantees is a finding.
#include "engine/model/model_error.h"
#include "engine/model/safetensors_header.h"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace {

using flint::engine::TensorEntry;

void checkGuarantees(const std::vector<TensorEntry>& tensors, std::uint64_t dataBytes) {
  for (const TensorEntry& t : tensors) {
    std::uint64_t elements = 1;
    for (std::int64_t d : t.shape) elements *= std::uint64_t(d);
    if (t.begin > t.end || t.end > dataBytes ||
        elements * flint::engine::dtypeSize(t.dtype) != t.end - t.begin)
      __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::byte> file(reinterpret_cast<const std::byte*>(data), size);
  try {
    const auto header = flint::engine::parseSafetensors(file);
    checkGuarantees(header.tensors, size - header.dataStart);
  } catch (const flint::engine::ModelError&) {
  }
  if (size >= 8) {
    std::uint64_t dataBytes = 0;
    for (int i = 7; i >= 0; --i) dataBytes = (dataBytes << 8) | data[i];
    const std::string_view json(reinterpret_cast<const char*>(data) + 8, size - 8);
    try {
      checkGuarantees(flint::engine::parseHeaderJson(json, dataBytes), dataBytes);
    } catch (const flint::engine::ModelError&) {
    }
  }
  return 0;
}
