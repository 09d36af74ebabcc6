#include "engine/model/dtype.h"

namespace flint::engine {

std::size_t dtypeSize(DType t) {
  switch (t) {
    case DType::F8_E4M3:
    case DType::F8_E8M0:
    case DType::I8:
      return 1;
    case DType::BF16:
    case DType::F16:
      return 2;
    case DType::F32:
    case DType::I32:
      return 4;
    case DType::I64:
      return 8;
  }
  return 0;
}

std::string_view dtypeName(DType t) {
  switch (t) {
    case DType::BF16:
      return "BF16";
    case DType::F16:
      return "F16";
    case DType::F32:
      return "F32";
    case DType::F8_E4M3:
      return "F8_E4M3";
    case DType::F8_E8M0:
      return "F8_E8M0";
    case DType::I8:
      return "I8";
    case DType::I64:
      return "I64";
    case DType::I32:
      return "I32";
  }
  return "?";
}

std::optional<DType> parseDType(std::string_view name) {
  for (DType t : kAllDTypes)
    if (dtypeName(t) == name) return t;
  return std::nullopt;
}

}  // namespace flint::engine
