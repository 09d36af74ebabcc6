#include "engine/model/linear.h"

#include "kernels/cpu/vector_ops.h"

#include <algorithm>

namespace flint::engine {

void store(const LinearContext& ctx, float* x, std::size_t n) {
  if (ctx.numerics == Numerics::Official) kernels::roundToBf16(x, n);
}

void linear(const LinearContext& ctx, const kernels::WeightView& w, const float* x,
            std::size_t tokens, float* y) {
  const bool quantized = w.format == kernels::WeightFormat::Fp8Block128 ||
                         w.format == kernels::WeightFormat::Fp4Group32;
  if (ctx.numerics == Numerics::Official && quantized) {
    thread_local std::vector<float> copy;  // grows to the largest input, then stays
    if (copy.size() < tokens * w.cols) copy.resize(tokens * w.cols);
    std::copy(x, x + tokens * w.cols, copy.begin());
    for (std::size_t t = 0; t < tokens; ++t)
      kernels::fakeQuantE4m3(copy.data() + t * w.cols, w.cols, 128);
    x = copy.data();
  }
  kernels::matmul(w, x, tokens, y, ctx.pool);
  store(ctx, y, tokens * w.rows);
}

void rmsNormRows(const LinearContext& ctx, float* x, std::size_t rows, std::size_t n,
                 const float* weight, float eps) {
  for (std::size_t r = 0; r < rows; ++r) kernels::rmsNorm(x + r * n, weight, n, eps, x + r * n);
  store(ctx, x, rows * n);
}

}  // namespace flint::engine
