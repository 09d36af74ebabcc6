// AVX2 + F16C + FMA row kernels: the AVX-512 scheme at 8 lanes. FP4 looks the magnitude up
// in an 8-entry table and sets the sign bit separately, since vpermps indexes only 8 lanes.
#include "kernels/cpu/quant_formats.h"
#include "kernels/cpu/row_dot.h"
#include "kernels/cpu/token_runs.h"

#include <immintrin.h>

// Only the functions below use the ISA; see kernels/CMakeLists.txt.
#pragma GCC push_options
#pragma GCC target("avx2,fma,f16c")

namespace flint::kernels {
namespace {

inline float hsum(__m256 v) {
  const __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 h = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(h, _mm_movehdup_ps(h)));
}

inline __m256 e4m3x8(const std::uint8_t* p) {
  const __m128i b = _mm_cvtepu8_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
  const __m128i sign = _mm_slli_epi16(_mm_and_si128(b, _mm_set1_epi16(0x80)), 8);
  const __m128i magnitude = _mm_slli_epi16(_mm_and_si128(b, _mm_set1_epi16(0x7f)), 7);
  return _mm256_cvtph_ps(_mm_or_si128(sign, magnitude));  // value * 2^-8
}

inline __m256 bf16x8(const std::uint16_t* p) {
  const __m256i v = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  return _mm256_castsi256_ps(_mm256_slli_epi32(v, 16));
}

// Eight e2m1 nibbles (in the low 4 bits of each 32-bit lane) to floats.
inline __m256 e2m1x8(__m256i nibbles) {
  const __m256 magnitudes = _mm256_setr_ps(0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 3.0f, 4.0f, 6.0f);
  const __m256 v = _mm256_permutevar8x32_ps(magnitudes, nibbles);  // uses the low 3 bits
  const __m256i sign = _mm256_slli_epi32(_mm256_and_si256(nibbles, _mm256_set1_epi32(8)), 28);
  return _mm256_xor_ps(v, _mm256_castsi256_ps(sign));
}

template <int T>
void fp8DotT(const std::uint8_t* w, const std::uint8_t* scales, std::size_t cols, const float* x,
             std::size_t xStride, float* out, std::size_t outStride) {
  __m256 total[T];
  for (int t = 0; t < T; ++t) total[t] = _mm256_setzero_ps();
  const std::size_t fullBlocks = cols / 128;
  for (std::size_t b = 0; b < fullBlocks; ++b) {
    __m256 acc[T];
    for (int t = 0; t < T; ++t) acc[t] = _mm256_setzero_ps();
    for (std::size_t i = b * 128; i < b * 128 + 128; i += 8) {
      const __m256 wv = e4m3x8(w + i);
      for (int t = 0; t < T; ++t)
        acc[t] = _mm256_fmadd_ps(wv, _mm256_loadu_ps(x + t * xStride + i), acc[t]);
    }
    const __m256 scale = _mm256_set1_ps(e8m0ToF32(scales[b]) * 256.0f);
    for (int t = 0; t < T; ++t) total[t] = _mm256_fmadd_ps(acc[t], scale, total[t]);
  }
  for (int t = 0; t < T; ++t) {
    float tail = 0;
    for (std::size_t i = fullBlocks * 128; i < cols; ++i)
      tail += e4m3ToF32(w[i]) * x[t * xStride + i];
    if (fullBlocks * 128 < cols) tail *= e8m0ToF32(scales[fullBlocks]);
    out[t * outStride] = hsum(total[t]) + tail;
  }
}

template <int T>
void fp4DotT(const std::uint8_t* w, const std::uint8_t* scales, std::size_t cols, const float* x,
             std::size_t xStride, float* out, std::size_t outStride) {
  const std::size_t half = (cols + 1) / 2;
  __m256 total[T];
  for (int t = 0; t < T; ++t) total[t] = _mm256_setzero_ps();
  const std::size_t fullGroups = cols / 32;
  for (std::size_t g = 0; g < fullGroups; ++g) {
    const __m256 scale = _mm256_set1_ps(e8m0ToF32(scales[g]));
    __m256 acc[T];
    for (int t = 0; t < T; ++t) acc[t] = _mm256_setzero_ps();
    for (std::size_t k = g * 16; k < g * 16 + 16; k += 8) {
      const __m256i bytes =
          _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(w + k)));
      const __m256 lo = e2m1x8(bytes);
      const __m256 hi = e2m1x8(_mm256_srli_epi32(bytes, 4));
      for (int t = 0; t < T; ++t) {
        const float* even = x + t * xStride + k;
        acc[t] = _mm256_fmadd_ps(lo, _mm256_loadu_ps(even), acc[t]);
        acc[t] = _mm256_fmadd_ps(hi, _mm256_loadu_ps(even + half), acc[t]);
      }
    }
    for (int t = 0; t < T; ++t) total[t] = _mm256_fmadd_ps(acc[t], scale, total[t]);
  }
  for (int t = 0; t < T; ++t) {
    const float* even = x + t * xStride;
    float tail = 0;
    for (std::size_t k = fullGroups * 16; k < half; ++k) {
      tail += e2m1ToF32(w[k]) * even[k];
      if (2 * k + 1 < cols) tail += e2m1ToF32(w[k] >> 4) * even[half + k];
    }
    if (fullGroups * 32 < cols) tail *= e8m0ToF32(scales[fullGroups]);
    out[t * outStride] = hsum(total[t]) + tail;
  }
}

template <int T>
void bf16DotT(const std::uint16_t* w, std::size_t cols, const float* x, std::size_t xStride,
              float* out, std::size_t outStride) {
  __m256 acc[T];
  for (int t = 0; t < T; ++t) acc[t] = _mm256_setzero_ps();
  const std::size_t full = cols / 8 * 8;
  for (std::size_t i = 0; i < full; i += 8) {
    const __m256 wv = bf16x8(w + i);
    for (int t = 0; t < T; ++t)
      acc[t] = _mm256_fmadd_ps(wv, _mm256_loadu_ps(x + t * xStride + i), acc[t]);
  }
  for (int t = 0; t < T; ++t) {
    float tail = 0;
    for (std::size_t i = full; i < cols; ++i) tail += bf16ToF32(w[i]) * x[t * xStride + i];
    out[t * outStride] = hsum(acc[t]) + tail;
  }
}

void fp8Dot(const std::uint8_t* w, const std::uint8_t* scales, std::size_t cols, const float* x,
            std::size_t xStride, std::size_t tokens, float* out, std::size_t outStride) {
  forTokenRuns(tokens, [&](std::size_t t0, auto run) {
    fp8DotT<decltype(run)::value>(w, scales, cols, x + t0 * xStride, xStride, out + t0 * outStride,
                                  outStride);
  });
}

void fp4Dot(const std::uint8_t* w, const std::uint8_t* scales, std::size_t cols, const float* x,
            std::size_t xStride, std::size_t tokens, float* out, std::size_t outStride) {
  forTokenRuns(tokens, [&](std::size_t t0, auto run) {
    fp4DotT<decltype(run)::value>(w, scales, cols, x + t0 * xStride, xStride, out + t0 * outStride,
                                  outStride);
  });
}

void bf16Dot(const std::uint16_t* w, std::size_t cols, const float* x, std::size_t xStride,
             std::size_t tokens, float* out, std::size_t outStride) {
  forTokenRuns(tokens, [&](std::size_t t0, auto run) {
    bf16DotT<decltype(run)::value>(w, cols, x + t0 * xStride, xStride, out + t0 * outStride,
                                   outStride);
  });
}

void f32Dot(const float* w, std::size_t cols, const float* x, std::size_t xStride,
            std::size_t tokens, float* out, std::size_t outStride) {
  const std::size_t full = cols / 8 * 8;
  for (std::size_t t = 0; t < tokens; ++t) {
    const float* xt = x + t * xStride;
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    std::size_t i = 0;
    for (; i + 16 <= full; i += 16) {
      a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i), _mm256_loadu_ps(xt + i), a0);
      a1 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i + 8), _mm256_loadu_ps(xt + i + 8), a1);
    }
    for (; i < full; i += 8)
      a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i), _mm256_loadu_ps(xt + i), a0);
    float tail = 0;
    for (; i < cols; ++i) tail += w[i] * xt[i];
    out[t * outStride] = hsum(_mm256_add_ps(a0, a1)) + tail;
  }
}

}  // namespace

const RowDotKernels* rowDotKernelsAvx2() {
  static const RowDotKernels k{"avx2", fp8Dot, fp4Dot, bf16Dot, f32Dot};
  return &k;
}

}  // namespace flint::kernels

#pragma GCC pop_options
