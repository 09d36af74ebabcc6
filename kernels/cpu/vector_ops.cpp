#include "kernels/cpu/vector_ops.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <numeric>

namespace flint::kernels {

void rmsNorm(const float* x, const float* w, std::size_t n, float eps, float* out) {
  double sum = 0;  // a double sum keeps long rows (hc_pre flattens 4 x d) order-insensitive
  for (std::size_t i = 0; i < n; ++i) sum += double(x[i]) * x[i];
  const float r = 1.0f / std::sqrt(float(sum / double(n)) + eps);
  for (std::size_t i = 0; i < n; ++i) out[i] = (w ? w[i] : 1.0f) * (x[i] * r);
}

void rotatePairs(float* x, const float* cos, const float* sin, std::size_t pairs, bool conjugate) {
  for (std::size_t i = 0; i < pairs; ++i) {
    const float a = x[2 * i], b = x[2 * i + 1];
    const float s = conjugate ? -sin[i] : sin[i];
    x[2 * i] = a * cos[i] - b * s;
    x[2 * i + 1] = a * s + b * cos[i];
  }
}

void softmax(float* x, std::size_t n) {
  if (n == 0) return;
  const float m = *std::max_element(x, x + n);
  float sum = 0;
  for (std::size_t i = 0; i < n; ++i) sum += (x[i] = std::exp(x[i] - m));
  for (std::size_t i = 0; i < n; ++i) x[i] /= sum;
}

void sinkhorn(float* c, std::size_t n, int iters, float eps) {
  for (std::size_t j = 0; j < n; ++j) {
    softmax(c + j * n, n);
    for (std::size_t k = 0; k < n; ++k) c[j * n + k] += eps;
  }
  auto normalizeColumns = [&] {
    for (std::size_t k = 0; k < n; ++k) {
      float sum = 0;
      for (std::size_t j = 0; j < n; ++j) sum += c[j * n + k];
      for (std::size_t j = 0; j < n; ++j) c[j * n + k] /= sum + eps;
    }
  };
  normalizeColumns();
  for (int it = 1; it < iters; ++it) {
    for (std::size_t j = 0; j < n; ++j) {
      float sum = 0;
      for (std::size_t k = 0; k < n; ++k) sum += c[j * n + k];
      for (std::size_t k = 0; k < n; ++k) c[j * n + k] /= sum + eps;
    }
    normalizeColumns();
  }
}

void hyperConnectionPost(const float* f, const float* res, const float* post, const float* comb,
                         std::size_t tokens, std::size_t n, std::size_t d, float* out) {
  for (std::size_t t = 0; t < tokens; ++t) {
    const float* c = comb + t * n * n;
    for (std::size_t j = 0; j < n; ++j) {
      float* o = out + (t * n + j) * d;
      const float p = post[t * n + j];
      for (std::size_t k = 0; k < d; ++k) o[k] = p * f[t * d + k];
      for (std::size_t i = 0; i < n; ++i) {
        const float cij = c[i * n + j];
        const float* r = res + (t * n + i) * d;
        for (std::size_t k = 0; k < d; ++k) o[k] += cij * r[k];
      }
    }
  }
}

float silu(float x) {
  return x / (1.0f + std::exp(-x));
}

float softplus(float x) {
  // log(1 + e^x) without overflow; torch switches to x above 20 as well.
  return x > 20.0f ? x : std::log1p(std::exp(x));
}

void hadamardNormalized(float* x, std::size_t n) {
  for (std::size_t len = 1; len < n; len <<= 1)
    for (std::size_t i = 0; i < n; i += 2 * len)
      for (std::size_t j = i; j < i + len; ++j) {
        const float a = x[j], b = x[j + len];
        x[j] = a + b;
        x[j + len] = a - b;
      }
  const float scale = 1.0f / std::sqrt(float(n));
  for (std::size_t i = 0; i < n; ++i) x[i] *= scale;
}

void topK(const float* values, std::size_t n, std::size_t k, std::int32_t* out) {
  k = std::min(k, n);
  thread_local std::vector<std::int32_t> order;
  order.resize(n);
  std::iota(order.begin(), order.end(), 0);
  std::partial_sort(order.begin(), order.begin() + std::ptrdiff_t(k), order.end(),
                    [&](std::int32_t a, std::int32_t b) {
                      return values[a] > values[b] || (values[a] == values[b] && a < b);
                    });
  std::copy(order.begin(), order.begin() + std::ptrdiff_t(k), out);
}

void roundToBf16(float* x, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    std::uint32_t bits = std::bit_cast<std::uint32_t>(x[i]);
    if ((bits & 0x7f800000u) != 0x7f800000u) bits += 0x7fffu + ((bits >> 16) & 1u);
    x[i] = std::bit_cast<float>(bits & 0xffff0000u);
  }
}

namespace {

// Rounds a float to `mantissaBits` mantissa bits, ties to even, by integer arithmetic on its
// bits (no libm calls: this runs on every linear's input in official numerics).
inline float roundMantissa(float v, int mantissaBits) {
  const int drop = 23 - mantissaBits;
  std::uint32_t bits = std::bit_cast<std::uint32_t>(v);
  bits += (1u << (drop - 1)) - 1 + ((bits >> drop) & 1u);
  return std::bit_cast<float>(bits & ~((1u << drop) - 1));
}

// Nearest value of a minifloat with `mantissaBits` and smallest normal exponent `minExp` to
// |v| <= its maximum, ties to even. Below the smallest normal the spacing stays that of
// minExp: adding 2^minExp moves the value into that binade, where the float's own rounding
// gives exactly that spacing, and subtracting it again is exact.
inline float roundMinifloat(float v, int mantissaBits, float minNormal) {
  const float a = std::fabs(v);
  const float r = a < minNormal ? roundMantissa(a + minNormal, mantissaBits) - minNormal
                                : roundMantissa(a, mantissaBits);
  return std::copysign(r, v);
}

void fakeQuant(float* x, std::size_t n, std::size_t block, float qmax, float amaxFloor,
               int mantissaBits, float minNormal) {
  for (std::size_t b = 0; b < n; b += block) {
    const std::size_t end = std::min(n, b + block);
    float amax = amaxFloor;
    for (std::size_t i = b; i < end; ++i) amax = std::max(amax, std::fabs(x[i]));
    // 2^ceil(log2(amax / qmax)) exactly: frexp gives ratio = m * 2^e with m in [0.5, 1), and an
    // exact power of two (m == 0.5) is its own scale.
    int e = 0;
    const float m = std::frexp(amax / qmax, &e);
    const int exponent = m == 0.5f ? e - 1 : e;
    const float scale = std::ldexp(1.0f, exponent), inverse = std::ldexp(1.0f, -exponent);
    for (std::size_t i = b; i < end; ++i) {
      const float q = std::clamp(x[i] * inverse, -qmax, qmax);
      x[i] = roundMinifloat(q, mantissaBits, minNormal) * scale;
    }
  }
}

}  // namespace

void fakeQuantE4m3(float* x, std::size_t n, std::size_t block) {
  fakeQuant(x, n, block, 448.0f, 1e-4f, 3, 0x1p-6f);
}

void fakeQuantE2m1(float* x, std::size_t n, std::size_t block) {
  fakeQuant(x, n, block, 6.0f, 6.0f * 0x1p-126f, 1, 1.0f);
}

}  // namespace flint::kernels
