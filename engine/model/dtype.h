#pragma once
// The element types a DeepSeek-V4 checkpoint stores, spelled as safetensors headers spell them.
#include <cstddef>
#include <optional>
#include <string_view>

namespace flint::engine {

enum class DType {
  BF16,
  F16,
  F32,
  F8_E4M3,  // FP8 weights
  F8_E8M0,  // power-of-two block scales
  I8,       // packed FP4 (two e2m1 per byte)
  I64,
  I32,
};

inline constexpr DType kAllDTypes[] = {DType::BF16,    DType::F16, DType::F32, DType::F8_E4M3,
                                       DType::F8_E8M0, DType::I8,  DType::I64, DType::I32};

std::size_t dtypeSize(DType t);
std::string_view dtypeName(DType t);
// nullopt for any name outside the list above (F64, U8, BOOL, F8_E5M2, ...).
std::optional<DType> parseDType(std::string_view name);

}  // namespace flint::engine
