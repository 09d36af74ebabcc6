#pragma once
// Small vector operations of a transformer step, in fp32. Kernels know shapes, not models:
// callers pass lengths and weights explicitly.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace flint::kernels {

// out = w * x / sqrt(mean(x^2) + eps); `w` may be null for the weightless form. In place ok.
void rmsNorm(const float* x, const float* w, std::size_t n, float eps, float* out);

// Interleaved (GPT-J) rotary embedding on `x[0..2*pairs)`: pair (2i, 2i+1) is rotated by the
// angle whose cos/sin are given; `conjugate` rotates the other way (output de-rotation).
void rotatePairs(float* x, const float* cos, const float* sin, std::size_t pairs, bool conjugate);

// In-place softmax over n values.
void softmax(float* x, std::size_t n);

// Projects an n x n matrix (row-major) toward a doubly stochastic one, in place: a softmax of
// each row plus eps, then alternating column and row normalisations (each dividing by sum +
// eps), `iters` column steps in all, ending on a column step.
void sinkhorn(float* c, std::size_t n, int iters, float eps);

// The hyper-connection write-back over [tokens, streams, hidden]: out[t, j] = post[t, j] * f[t]
// + sum_i comb[t, i, j] * res[t, i] (the sum over comb's FIRST index: stream i feeds stream j).
// `out` may not alias `res`.
void hyperConnectionPost(const float* f, const float* res, const float* post, const float* comb,
                         std::size_t tokens, std::size_t streams, std::size_t hidden, float* out);

float silu(float x);
float softplus(float x);

// In-place orthonormal Walsh-Hadamard transform (n a power of two): H x / sqrt(n).
void hadamardNormalized(float* x, std::size_t n);

// Indices of the k largest values, largest first; ties go to the lower index.
void topK(const float* values, std::size_t n, std::size_t k, std::int32_t* out);

// Rounds each float to the nearest bfloat16 (ties to even), kept as float.
void roundToBf16(float* x, std::size_t n);

// QAT fake quantization (deepseek-v4.md §4.9): blocks of `block` values share a power-of-two
// scale 2^ceil(log2(amax / qmax)); values are rounded to the format's grid and scaled back.
void fakeQuantE4m3(float* x, std::size_t n, std::size_t block);
void fakeQuantE2m1(float* x, std::size_t n, std::size_t block);

inline float sigmoid(float x) {
  return 1.0f / (1.0f + __builtin_expf(-x));
}

}  // namespace flint::kernels
