#include "kernels/cpu/dequant.h"

#include "kernels/cpu/quant_formats.h"

namespace flint::kernels {

void dequantBf16Scalar(const std::uint16_t* in, std::size_t count, float* out) {
  for (std::size_t i = 0; i < count; ++i) out[i] = bf16ToF32(in[i]);
}

void dequantF16Scalar(const std::uint16_t* in, std::size_t count, float* out) {
  for (std::size_t i = 0; i < count; ++i) out[i] = f16ToF32(in[i]);
}

void dequantFp8BlockScalar(const std::uint8_t* weight, const std::uint8_t* scales, std::size_t rows,
                           std::size_t cols, float* out) {
  const std::size_t scaleCols = ceilDiv(cols, kFp8BlockSize);
  for (std::size_t r = 0; r < rows; ++r) {
    const std::uint8_t* scaleRow = scales + (r / kFp8BlockSize) * scaleCols;
    for (std::size_t c = 0; c < cols; ++c) {
      out[r * cols + c] = e4m3ToF32(weight[r * cols + c]) * e8m0ToF32(scaleRow[c / kFp8BlockSize]);
    }
  }
}

void dequantFp4GroupScalar(const std::uint8_t* packed, const std::uint8_t* scales, std::size_t rows,
                           std::size_t cols, float* out) {
  const std::size_t rowBytes = ceilDiv(cols, 2);
  const std::size_t scaleCols = ceilDiv(cols, kFp4GroupSize);
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < cols; ++c) {
      const std::uint8_t byte = packed[r * rowBytes + c / 2];
      const std::uint8_t nibble = (c % 2 == 0) ? (byte & 0xFu) : (byte >> 4);
      out[r * cols + c] = e2m1ToF32(nibble) * e8m0ToF32(scales[r * scaleCols + c / kFp4GroupSize]);
    }
  }
}

}  // namespace flint::kernels
