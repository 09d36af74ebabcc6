#pragma once
// y = x · Wᵀ with W kept in its checkpoint format (FP8 128x128 block-scaled, FP4 1x32
// group-scaled, BF16, F32) and dequantized on the fly, in registers, once per run of up to
// kFusedTokens tokens. Batch invariant: a token's result is bit for bit the same whether it
// runs alone or with others (prefill, decode and a speculative verify pass all agree), because
// every kernel keeps one summation order per token. (A path that dequantized each row into a
// scratch row for long batches summed in another order; it was also slower: 28 against 35
// tok/s prefilling 64 tokens of the bench checkpoint.)
#include "kernels/cpu/row_dot.h"
#include "kernels/cpu/thread_pool.h"

#include <cstddef>
#include <cstdint>

namespace flint::kernels {

enum class WeightFormat { F32, BF16, Fp8Block128, Fp4Group32 };

struct WeightView {
  WeightFormat format = WeightFormat::F32;
  const void* data = nullptr;            // [rows, cols] row-major; FP4: [rows, ceil(cols/2)] bytes
  const std::uint8_t* scales = nullptr;  // E8M0. FP8: [ceil(rows/128), ceil(cols/128)];
                                         // FP4: [rows, ceil(cols/32)]
  std::size_t rows = 0;
  std::size_t cols = 0;
  // FP8 only: the first row's index inside the scale grid, for a view of rows [begin, end)
  // of a larger weight whose `begin` is not a multiple of 128 (see rowsOf()).
  std::size_t scaleRowOffset = 0;

  // Bytes one full pass reads: weights plus scales.
  std::size_t bytes() const;
};

// Rows [begin, begin + count) of `w` as a weight of their own.
WeightView rowsOf(const WeightView& w, std::size_t begin, std::size_t count);

// The row kernels for this CPU (AVX-512, else AVX2, else scalar), chosen once.
const RowDotKernels& bestRowDotKernels();

// a · b over n floats with the widest kernel (attention scores, indexer scores). A plain loop
// would stay scalar: without -ffast-math the compiler keeps the sum's order.
float dotProduct(const float* a, const float* b, std::size_t n);

// y[t * rows + r] = sum_c W[r, c] * x[t * cols + c] for t < tokens. `pool` may be null.
// FP4, FP8 and BF16 weights use the bf16 dot-product kernels when the CPU has them and every
// activation is exact in bf16; the whole call decides, so mixing such activations with others
// in one call would break batch invariance (official numerics never does).
void matmul(const WeightView& w, const float* x, std::size_t tokens, float* y, ThreadPool* pool,
            const RowDotKernels& kernels = bestRowDotKernels());

}  // namespace flint::kernels
