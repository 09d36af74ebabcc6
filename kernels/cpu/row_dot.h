#pragma once
// Dot products of ONE quantized weight row with a few activation rows, dequantizing on the
// fly; longer batches go through in runs of kFusedTokens. One table
// per ISA (scalar, AVX2, AVX-512); matmul.cpp picks one at start-up.
//
// Shapes: a weight row has `cols` elements. FP8 rows take their ceil(cols/128) E8M0 block
// scales; FP4 rows take ceil(cols/32) group scales and the activations split into even and
// odd elements (xEven[k] = x[2k], xOdd[k] = x[2k+1]), which matches the nibble order and
// saves an interleave per byte. Activation row t starts at x + t * xStride; result t goes
// to out[t * outStride].
#include <cstddef>
#include <cstdint>

namespace flint::kernels {

// The fused kernels take at most this many activation rows at once.
inline constexpr std::size_t kFusedTokens = 4;

// Quantized rows against activations held exactly as bf16 (xStride in bf16 elements); see
// row_dot_avx512_bf16.cpp. FP4 takes them in the split [even | odd] layout, FP8 plain, with the
// row's block scales as the fp8 kernel takes them.
using QuantBf16Kernel = void (*)(const std::uint8_t* w, const std::uint8_t* scales,
                                 std::size_t cols, const std::uint16_t* x, std::size_t xStride,
                                 std::size_t tokens, float* out, std::size_t outStride);

// BF16 rows against bf16 activations, plain layout.
using Bf16Bf16Kernel = void (*)(const std::uint16_t* w, std::size_t cols, const std::uint16_t* x,
                                std::size_t xStride, std::size_t tokens, float* out,
                                std::size_t outStride);

struct RowDotKernels {
  const char* isa;
  void (*fp8)(const std::uint8_t* w, const std::uint8_t* scales, std::size_t cols, const float* x,
              std::size_t xStride, std::size_t tokens, float* out, std::size_t outStride);
  // x points at [xEven (ceil(cols/2)) | xOdd (ceil(cols/2))] for each token.
  void (*fp4)(const std::uint8_t* w, const std::uint8_t* scales, std::size_t cols, const float* x,
              std::size_t xStride, std::size_t tokens, float* out, std::size_t outStride);
  void (*bf16)(const std::uint16_t* w, std::size_t cols, const float* x, std::size_t xStride,
               std::size_t tokens, float* out, std::size_t outStride);
  // Any number of tokens.
  void (*f32)(const float* w, std::size_t cols, const float* x, std::size_t xStride,
              std::size_t tokens, float* out, std::size_t outStride);
  // Decode: four consecutive FP8 rows against one activation row, sharing its loads and the
  // per-row set-up (measured +20 % over one row at a time); rows start rowBytes apart and must
  // share one scale row (one 128-row block); out gets four results. Null where an ISA has none.
  // (A four-row FP4 kernel measured no faster and was dropped.)
  void (*fp8Rows4)(const std::uint8_t* w, std::size_t rowBytes, const std::uint8_t* scales,
                   std::size_t cols, const float* x, float* out) = nullptr;
  // FP4, FP8 and BF16 rows when the activations are exact in bf16 (official numerics); null
  // where the CPU lacks AVX512-BF16.
  QuantBf16Kernel fp4Bf16 = nullptr;
  QuantBf16Kernel fp8Bf16 = nullptr;
  Bf16Bf16Kernel bf16Bf16 = nullptr;
};

const RowDotKernels& rowDotKernelsScalar();
// Null when this build or this CPU cannot run them.
const RowDotKernels* rowDotKernelsAvx2();
const RowDotKernels* rowDotKernelsAvx512();
// Compiled for AVX512-BF16; only for CPUs that report it.
QuantBf16Kernel fp4Bf16KernelAvx512();
QuantBf16Kernel fp8Bf16KernelAvx512();
Bf16Bf16Kernel bf16Bf16KernelAvx512();

}  // namespace flint::kernels
