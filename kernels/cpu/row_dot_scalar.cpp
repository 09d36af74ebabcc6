// The reference row kernels: element by element through quant_formats.h, fp32 accumulation
// in the same block order as the SIMD versions (sum per scale block, then scale).
#include "kernels/cpu/quant_formats.h"
#include "kernels/cpu/row_dot.h"

#include <algorithm>

namespace flint::kernels {
namespace {

void fp8Dot(const std::uint8_t* w, const std::uint8_t* scales, std::size_t cols, const float* x,
            std::size_t xStride, std::size_t tokens, float* out, std::size_t outStride) {
  for (std::size_t t = 0; t < tokens; ++t) {
    const float* xt = x + t * xStride;
    float total = 0;
    for (std::size_t b = 0; b * 128 < cols; ++b) {
      float block = 0;
      for (std::size_t i = b * 128; i < std::min(cols, b * 128 + 128); ++i)
        block += e4m3ToF32(w[i]) * xt[i];
      total += block * e8m0ToF32(scales[b]);
    }
    out[t * outStride] = total;
  }
}

void fp4Dot(const std::uint8_t* w, const std::uint8_t* scales, std::size_t cols, const float* x,
            std::size_t xStride, std::size_t tokens, float* out, std::size_t outStride) {
  const std::size_t half = (cols + 1) / 2;
  for (std::size_t t = 0; t < tokens; ++t) {
    const float* even = x + t * xStride;
    const float* odd = even + half;
    float total = 0;
    for (std::size_t g = 0; g * 32 < cols; ++g) {
      float group = 0;
      for (std::size_t k = g * 16; k < std::min(half, g * 16 + 16); ++k) {
        group += e2m1ToF32(w[k]) * even[k];
        if (2 * k + 1 < cols) group += e2m1ToF32(w[k] >> 4) * odd[k];
      }
      total += group * e8m0ToF32(scales[g]);
    }
    out[t * outStride] = total;
  }
}

void bf16Dot(const std::uint16_t* w, std::size_t cols, const float* x, std::size_t xStride,
             std::size_t tokens, float* out, std::size_t outStride) {
  for (std::size_t t = 0; t < tokens; ++t) {
    float total = 0;
    for (std::size_t i = 0; i < cols; ++i) total += bf16ToF32(w[i]) * x[t * xStride + i];
    out[t * outStride] = total;
  }
}

void f32Dot(const float* w, std::size_t cols, const float* x, std::size_t xStride,
            std::size_t tokens, float* out, std::size_t outStride) {
  for (std::size_t t = 0; t < tokens; ++t) {
    float total = 0;
    for (std::size_t i = 0; i < cols; ++i) total += w[i] * x[t * xStride + i];
    out[t * outStride] = total;
  }
}

}  // namespace

const RowDotKernels& rowDotKernelsScalar() {
  static const RowDotKernels k{"scalar", fp8Dot, fp4Dot, bf16Dot, f32Dot};
  return k;
}

}  // namespace flint::kernels
