#pragma once
// Independent decoders for the tests: each format is read field by field and rebuilt with
// std::ldexp, sharing no code or bit tricks with kernels/cpu/quant_formats.h.
#include <cmath>
#include <cstdint>
#include <limits>

namespace flint::kernels::testing {

// A float with 1 sign bit, `expBits` exponent bits (bias 2^(expBits-1)-1), `manBits` mantissa
// bits and IEEE subnormals; special values are the caller's business.
inline double decodeMinifloat(unsigned bits, int expBits, int manBits) {
  const int sign = (bits >> (expBits + manBits)) & 1;
  const int exponent = int((bits >> manBits) & ((1u << expBits) - 1));
  const int mantissa = int(bits & ((1u << manBits) - 1));
  const int bias = (1 << (expBits - 1)) - 1;
  const double magnitude =
      exponent == 0 ? std::ldexp(double(mantissa), 1 - bias - manBits)
                    : std::ldexp(double((1 << manBits) + mantissa), exponent - bias - manBits);
  return sign ? -magnitude : magnitude;
}

inline double referenceE4m3(std::uint8_t v) {
  if ((v & 0x7F) == 0x7F) return std::numeric_limits<double>::quiet_NaN();
  return decodeMinifloat(v, 4, 3);
}

inline double referenceE2m1(std::uint8_t nibble) {
  return decodeMinifloat(nibble & 0xF, 2, 1);
}

inline double referenceE8m0(std::uint8_t v) {
  if (v == 255) return std::numeric_limits<double>::quiet_NaN();
  return std::ldexp(1.0, int(v) - 127);
}

inline double referenceF16(std::uint16_t v) {
  if (((v >> 10) & 0x1F) == 0x1F) {
    if (v & 0x3FF) return std::numeric_limits<double>::quiet_NaN();
    return (v & 0x8000) ? -INFINITY : INFINITY;
  }
  return decodeMinifloat(v, 5, 10);
}

inline double referenceBf16(std::uint16_t v) {
  if (((v >> 7) & 0xFF) == 0xFF) {
    if (v & 0x7F) return std::numeric_limits<double>::quiet_NaN();
    return (v & 0x8000) ? -INFINITY : INFINITY;
  }
  return decodeMinifloat(v, 8, 7);
}

}  // namespace flint::kernels::testing
