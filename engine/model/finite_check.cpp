#include "engine/model/finite_check.h"

#include "engine/model/model_error.h"

#include <cstdint>
#include <cstring>

namespace flint::engine {
namespace {

// Index of the first non-finite element, or -1.
std::int64_t firstNonFinite(DType dtype, std::span<const std::byte> bytes) {
  const auto* p = reinterpret_cast<const std::uint8_t*>(bytes.data());
  const std::size_t n = bytes.size();
  switch (dtype) {
    case DType::BF16:
    case DType::F16: {
      // Exponent all ones: bf16 0x7f80 mask, f16 0x7c00 mask.
      const std::uint16_t mask = dtype == DType::BF16 ? 0x7f80 : 0x7c00;
      for (std::size_t i = 0; i + 1 < n; i += 2) {
        std::uint16_t v;
        std::memcpy(&v, p + i, 2);
        if ((v & mask) == mask) return std::int64_t(i / 2);
      }
      return -1;
    }
    case DType::F32:
      for (std::size_t i = 0; i + 3 < n; i += 4) {
        std::uint32_t v;
        std::memcpy(&v, p + i, 4);
        if ((v & 0x7f800000u) == 0x7f800000u) return std::int64_t(i / 4);
      }
      return -1;
    case DType::F8_E4M3:  // e4m3fn has no infinity; S.1111.111 is NaN
      for (std::size_t i = 0; i < n; ++i)
        if ((p[i] & 0x7f) == 0x7f) return std::int64_t(i);
      return -1;
    case DType::F8_E8M0:  // 0xff is NaN
      for (std::size_t i = 0; i < n; ++i)
        if (p[i] == 0xff) return std::int64_t(i);
      return -1;
    default:  // integers and packed FP4 have no non-finite codes
      return -1;
  }
}

}  // namespace

void checkWeightsFinite(const TensorStore& weights, LoadProgressMeter* meter) {
  std::uint64_t total = 0, done = 0;
  for (const TensorView& t : weights.tensors()) total += t.byteSize();
  for (const TensorView& t : weights.tensors()) {
    const std::int64_t at = firstNonFinite(t.dtype(), t.bytes());
    done += t.byteSize();
    if (meter != nullptr) meter->advance(done, total);
    if (at >= 0)
      throw ModelError("tensor " + t.name() + " in " + t.shardName() +
                       " holds a NaN or infinite value at element " + std::to_string(at) +
                       "; the file is damaged, download it again");
  }
}

}  // namespace flint::engine
