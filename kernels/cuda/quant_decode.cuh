// The checkpoint formats decoded on the device, bit for bit as kernels/cpu/quant_formats.h
// does it, and one weight element of a FlintCudaWeight (the layouts of kernels/cpu/matmul.h).
#pragma once
#include "kernels/cuda/ops_abi.h"

#include <cmath>

namespace flint::cuda {

constexpr unsigned long long kFp8Block = 128;  // FP8: one scale per 128x128 block
constexpr unsigned long long kFp4Group = 32;   // FP4: one scale per 1x32 group

__device__ inline float bf16Bits(unsigned short v) {
  return __uint_as_float(unsigned(v) << 16);
}

// 2^(v - 127); 255 is NaN, 0 is 2^-127 (a float32 subnormal).
__device__ inline float e8m0(unsigned char v) {
  if (v == 0xFF) return __uint_as_float(0x7FC00000u);
  if (v == 0) return __uint_as_float(0x00400000u);
  return __uint_as_float(unsigned(v) << 23);
}

// e4m3fn: bias 7, no infinities, S.1111.111 is NaN; subnormals are mantissa * 2^-9.
__device__ inline float e4m3(unsigned char v) {
  const unsigned sign = unsigned(v & 0x80u) << 24;
  const unsigned exponent = (v >> 3) & 0xFu, mantissa = v & 0x7u;
  if (exponent == 0xF && mantissa == 0x7) return __uint_as_float(0x7FC00000u);
  if (exponent == 0) return __uint_as_float(__float_as_uint(float(mantissa) * 0x1p-9f) | sign);
  return __uint_as_float(sign | ((exponent + 120) << 23) | (mantissa << 20));
}

// e2m1 nibble: 1 sign, 2 exponent, 1 mantissa bit; magnitudes 0, .5, 1, 1.5, 2, 3, 4, 6.
__device__ inline float e2m1(unsigned nibble) {
  const unsigned exponent = (nibble >> 1) & 0x3u, mantissa = nibble & 0x1u;
  const float magnitude =
      exponent == 0 ? 0.5f * float(mantissa)
                    : __uint_as_float((exponent + 126) << 23) * (1.0f + 0.5f * float(mantissa));
  return (nibble & 0x8u) ? -magnitude : magnitude;
}

// W[r, c] of a weight in any format, in fp32.
__device__ inline float weightAt(const FlintCudaWeight& w, unsigned long long r,
                                 unsigned long long c) {
  switch (w.format) {
    case FLINT_CUDA_WEIGHT_F32:
      return static_cast<const float*>(w.data)[r * w.cols + c];
    case FLINT_CUDA_WEIGHT_BF16:
      return bf16Bits(static_cast<const unsigned short*>(w.data)[r * w.cols + c]);
    case FLINT_CUDA_WEIGHT_FP8_BLOCK128: {
      const unsigned long long scaleCols = (w.cols + kFp8Block - 1) / kFp8Block;
      const unsigned char scale =
          w.scales[((r + w.scaleRowOffset) / kFp8Block) * scaleCols + c / kFp8Block];
      return e4m3(static_cast<const unsigned char*>(w.data)[r * w.cols + c]) * e8m0(scale);
    }
    default: {  // FLINT_CUDA_WEIGHT_FP4_GROUP32; formats are checked on the host
      const unsigned long long rowBytes = (w.cols + 1) / 2;
      const unsigned long long scaleCols = (w.cols + kFp4Group - 1) / kFp4Group;
      const unsigned char byte = static_cast<const unsigned char*>(w.data)[r * rowBytes + c / 2];
      const unsigned nibble = (c % 2 == 0) ? (byte & 0xFu) : (byte >> 4);
      return e2m1(nibble) * e8m0(w.scales[r * scaleCols + c / kFp4Group]);
    }
  }
}

}  // namespace flint::cuda
