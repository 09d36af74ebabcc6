#pragma once
// A linear layer as the forward pass calls it: the kernel matmul, plus, in official numerics,
// the reference's FP8 rounding of the input activations (1x128 blocks, power-of-two scales)
// before FP8/FP4 weights and the bf16 storage of the output.
#include "engine/model/numerics.h"
#include "kernels/cpu/matmul.h"

#include <vector>

namespace flint::engine {

struct LinearContext {
  Numerics numerics = Numerics::Official;
  kernels::ThreadPool* pool = nullptr;
};

// y[t, :] = W x[t, :] for t < tokens.
void linear(const LinearContext& ctx, const kernels::WeightView& w, const float* x,
            std::size_t tokens, float* y);

// An activation handed to the next op: rounded to bf16 in official numerics, as is in fp32.
void store(const LinearContext& ctx, float* x, std::size_t n);

// Weighted RMSNorm of `rows` rows of width n, in place, then stored.
void rmsNormRows(const LinearContext& ctx, float* x, std::size_t rows, std::size_t n,
                 const float* weight, float eps);

}  // namespace flint::engine
