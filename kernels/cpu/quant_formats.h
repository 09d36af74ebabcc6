#pragma once
// The checkpoint's number formats, one element at a time: the exact decoders every dequant
// kernel (scalar, SIMD, CUDA) must agree with. Bit manipulation, no tables of floats, except
// e2m1 whose 16 values are the table.
#include <bit>
#include <cstdint>
#include <limits>

namespace flint::kernels {

// bfloat16: the top half of a float32.
inline float bf16ToF32(std::uint16_t v) {
  return std::bit_cast<float>(std::uint32_t(v) << 16);
}

// IEEE half: 1 sign, 5 exponent (bias 15), 10 mantissa bits; subnormals, inf and NaN kept.
inline float f16ToF32(std::uint16_t v) {
  const std::uint32_t sign = std::uint32_t(v & 0x8000u) << 16;
  const std::uint32_t exponent = (v >> 10) & 0x1Fu;
  const std::uint32_t mantissa = v & 0x3FFu;
  if (exponent == 0) {  // zero or subnormal: mantissa * 2^-24, exact in float32
    const float magnitude = float(mantissa) * 0x1p-24f;
    return std::bit_cast<float>(std::bit_cast<std::uint32_t>(magnitude) | sign);
  }
  if (exponent == 0x1F) return std::bit_cast<float>(sign | 0x7F800000u | (mantissa << 13));
  return std::bit_cast<float>(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

// E8M0 block scale: 2^(byte - 127); 255 is NaN. Byte 0 is 2^-127, a float32 subnormal.
inline float e8m0ToF32(std::uint8_t v) {
  if (v == 0xFF) return std::numeric_limits<float>::quiet_NaN();
  if (v == 0) return std::bit_cast<float>(0x00400000u);
  return std::bit_cast<float>(std::uint32_t(v) << 23);
}

// FP8 e4m3fn: 1 sign, 4 exponent (bias 7), 3 mantissa bits; no infinities, only
// S.1111.111 (0x7F / 0xFF) is NaN, so the largest finite value is 448.
inline float e4m3ToF32(std::uint8_t v) {
  const std::uint32_t sign = std::uint32_t(v & 0x80u) << 24;
  const std::uint32_t exponent = (v >> 3) & 0xFu;
  const std::uint32_t mantissa = v & 0x7u;
  if (exponent == 0xF && mantissa == 0x7) return std::numeric_limits<float>::quiet_NaN();
  if (exponent == 0) {  // zero or subnormal: mantissa * 2^-9
    const float magnitude = float(mantissa) * 0x1p-9f;
    return std::bit_cast<float>(std::bit_cast<std::uint32_t>(magnitude) | sign);
  }
  return std::bit_cast<float>(sign | ((exponent + 120) << 23) | (mantissa << 20));
}

// FP4 e2m1 nibble (the low 4 bits of `v`): 1 sign, 2 exponent, 1 mantissa bit.
inline float e2m1ToF32(std::uint8_t v) {
  static constexpr float kValues[16] = {0.0f,  0.5f,  1.0f,  1.5f,  2.0f,  3.0f,  4.0f,  6.0f,
                                        -0.0f, -0.5f, -1.0f, -1.5f, -2.0f, -3.0f, -4.0f, -6.0f};
  return kValues[v & 0xFu];
}

}  // namespace flint::kernels
