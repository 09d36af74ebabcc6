#pragma once
// Whole-tensor dequantization to float32, scalar reference versions. Later SIMD and CUDA
// kernels are tested against these. Layouts are DeepSeek-V4's (deepseek-v4.md §5.2); all
// arrays are row-major and the caller guarantees their sizes.
#include <cstddef>
#include <cstdint>

namespace flint::kernels {

inline constexpr std::size_t kFp8BlockSize = 128;  // FP8 weights: one scale per 128x128 block
inline constexpr std::size_t kFp4GroupSize = 32;   // FP4 weights: one scale per 1x32 group

inline constexpr std::size_t ceilDiv(std::size_t a, std::size_t b) {
  return (a + b - 1) / b;
}

// bf16 / f16 bits -> float32, `count` elements.
void dequantBf16Scalar(const std::uint16_t* in, std::size_t count, float* out);
void dequantF16Scalar(const std::uint16_t* in, std::size_t count, float* out);

// FP8 e4m3 weight [rows, cols] with E8M0 scales [ceil(rows/128), ceil(cols/128)]:
// out[r, c] = e4m3(weight[r, c]) * 2^(scales[r/128, c/128] - 127). Tail blocks are partial.
void dequantFp8BlockScalar(const std::uint8_t* weight, const std::uint8_t* scales, std::size_t rows,
                           std::size_t cols, float* out);

// FP4 e2m1 weight [rows, cols] packed two per byte along cols into [rows, ceil(cols/2)] bytes,
// the low nibble holding the even element; E8M0 scales [rows, ceil(cols/32)]:
// out[r, c] = e2m1(nibble(r, c)) * 2^(scales[r, c/32] - 127). An odd cols leaves each row's
// last high nibble unused.
void dequantFp4GroupScalar(const std::uint8_t* packed, const std::uint8_t* scales, std::size_t rows,
                           std::size_t cols, float* out);

}  // namespace flint::kernels
