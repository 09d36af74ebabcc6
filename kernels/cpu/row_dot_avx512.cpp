// AVX-512 row kernels. FP8 e4m3 becomes fp16 by moving its bits (the value times 2^-8,
// subnormals included) and then fp32 through vcvtph2ps; the 2^8 goes into the block scale.
// FP4 e2m1 nibbles index a 16-entry table held in one register. Compiled for the AVX-512
// target; only called where cpuFeatures() says the CPU and OS support them.
#include "kernels/cpu/quant_formats.h"
#include "kernels/cpu/row_dot.h"
#include "kernels/cpu/token_runs.h"

// GCC 12's AVX-512 intrinsics start from _mm512_undefined_*(), which its own uninitialized
// warnings flag inside the header.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

// Only the functions below use the ISA; see kernels/CMakeLists.txt.
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq,fma,f16c")

namespace flint::kernels {
namespace {

inline __m512 e4m3x16(const std::uint8_t* p) {
  const __m256i b = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  const __m256i sign = _mm256_slli_epi16(_mm256_and_si256(b, _mm256_set1_epi16(0x80)), 8);
  const __m256i magnitude = _mm256_slli_epi16(_mm256_and_si256(b, _mm256_set1_epi16(0x7f)), 7);
  return _mm512_cvtph_ps(_mm256_or_si256(sign, magnitude));
}

inline __m512 bf16x16(const std::uint16_t* p) {
  const __m512i v = _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  return _mm512_castsi512_ps(_mm512_slli_epi32(v, 16));
}

inline __m512 e2m1Table() {
  return _mm512_setr_ps(0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 3.0f, 4.0f, 6.0f, -0.0f, -0.5f, -1.0f, -1.5f,
                        -2.0f, -3.0f, -4.0f, -6.0f);
}

// Independent accumulators per token, the same number whatever the run length, so a token's sum
// has one order however many tokens share the call (batch invariance: a verify pass and plain
// decoding must agree bit for bit). One FMA chain would wait on its own latency (4 cycles).
constexpr int kFp8Accumulators = 2;  // also the four-row kernel's
constexpr int kFp4Accumulators = 4;

// e4m3 bytes to floats by integer ops alone: sign-extended and shifted, the byte's exponent and
// mantissa land in a float's low exponent bits and mantissa, giving the value times 2^-120
// (subnormals included, as float subnormals). Three cheap ops per 16 values instead of a
// conversion through fp16; the 2^120 goes into the block scale.
inline __m512 e4m3x16Scaled(const std::uint8_t* p) {
  const __m512i b = _mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  return _mm512_castsi512_ps(
      _mm512_and_si512(_mm512_slli_epi32(b, 20), _mm512_set1_epi32(int(0x87F00000u))));
}

template <int T>
void fp8DotT(const std::uint8_t* w, const std::uint8_t* scales, std::size_t cols, const float* x,
             std::size_t xStride, float* out, std::size_t outStride) {
  constexpr int A = kFp8Accumulators;
  __m512 total[T];
  for (int t = 0; t < T; ++t) total[t] = _mm512_setzero_ps();
  const std::size_t fullBlocks = cols / 128;
  for (std::size_t b = 0; b < fullBlocks; ++b) {
    __m512 acc[T][A];
    for (int t = 0; t < T; ++t)
      for (int a = 0; a < A; ++a) acc[t][a] = _mm512_setzero_ps();
    for (std::size_t c = 0; c < 8; ++c) {
      const std::size_t i = b * 128 + c * 16;
      const __m512 wv = e4m3x16Scaled(w + i);
      for (int t = 0; t < T; ++t)
        acc[t][c % A] = _mm512_fmadd_ps(wv, _mm512_loadu_ps(x + t * xStride + i), acc[t][c % A]);
    }
    // 2^120 in two exact steps so no intermediate overflows for any sane scale.
    const __m512 scale = _mm512_set1_ps(e8m0ToF32(scales[b]) * 0x1p60f);
    for (int t = 0; t < T; ++t) {
      __m512 sum = acc[t][0];
      for (int a = 1; a < A; ++a) sum = _mm512_add_ps(sum, acc[t][a]);
      total[t] = _mm512_fmadd_ps(_mm512_mul_ps(sum, _mm512_set1_ps(0x1p60f)), scale, total[t]);
    }
  }
  for (int t = 0; t < T; ++t) {
    float tail = 0;
    for (std::size_t i = fullBlocks * 128; i < cols; ++i)
      tail += e4m3ToF32(w[i]) * x[t * xStride + i];
    if (fullBlocks * 128 < cols) tail *= e8m0ToF32(scales[fullBlocks]);
    out[t * outStride] = _mm512_reduce_add_ps(total[t]) + tail;
  }
}

template <int T>
void fp4DotT(const std::uint8_t* w, const std::uint8_t* scales, std::size_t cols, const float* x,
             std::size_t xStride, float* out, std::size_t outStride) {
  constexpr int A = kFp4Accumulators;
  const std::size_t half = (cols + 1) / 2;
  const __m512 table = e2m1Table();
  __m512 acc[T][A];
  for (int t = 0; t < T; ++t)
    for (int a = 0; a < A; ++a) acc[t][a] = _mm512_setzero_ps();
  // One 32-value group: 16 bytes, one scale. vpermps reads only the low 4 bits of each index,
  // so the low nibble needs no mask; the scale is a power of two, so scaling the table is exact.
  auto group = [&](std::size_t g, int a) {
    const __m512i bytes =
        _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w + g * 16)));
    const __m512 scaled = _mm512_mul_ps(table, _mm512_set1_ps(e8m0ToF32(scales[g])));
    const __m512 lo = _mm512_permutexvar_ps(bytes, scaled);
    const __m512 hi = _mm512_permutexvar_ps(_mm512_srli_epi32(bytes, 4), scaled);
    for (int t = 0; t < T; ++t) {
      const float* even = x + t * xStride + g * 16;
      acc[t][a] = _mm512_fmadd_ps(lo, _mm512_loadu_ps(even), acc[t][a]);
      acc[t][a] = _mm512_fmadd_ps(hi, _mm512_loadu_ps(even + half), acc[t][a]);
    }
  };
  const std::size_t fullGroups = cols / 32;
  std::size_t g = 0;
  for (; g + A <= fullGroups; g += A)
    for (int a = 0; a < A; ++a) group(g + std::size_t(a), a);
  for (; g < fullGroups; ++g) group(g, 0);
  for (int t = 0; t < T; ++t) {
    __m512 sum = acc[t][0];
    for (int a = 1; a < A; ++a) sum = _mm512_add_ps(sum, acc[t][a]);
    const float* even = x + t * xStride;
    float tail = 0;
    for (std::size_t k = fullGroups * 16; k < half; ++k) {
      tail += e2m1ToF32(w[k]) * even[k];
      if (2 * k + 1 < cols) tail += e2m1ToF32(w[k] >> 4) * even[half + k];
    }
    if (fullGroups * 32 < cols) tail *= e8m0ToF32(scales[fullGroups]);
    out[t * outStride] = _mm512_reduce_add_ps(sum) + tail;
  }
}

template <int T>
void bf16DotT(const std::uint16_t* w, std::size_t cols, const float* x, std::size_t xStride,
              float* out, std::size_t outStride) {
  __m512 acc[T];
  for (int t = 0; t < T; ++t) acc[t] = _mm512_setzero_ps();
  const std::size_t full = cols / 16 * 16;
  for (std::size_t i = 0; i < full; i += 16) {
    const __m512 wv = bf16x16(w + i);
    for (int t = 0; t < T; ++t)
      acc[t] = _mm512_fmadd_ps(wv, _mm512_loadu_ps(x + t * xStride + i), acc[t]);
  }
  for (int t = 0; t < T; ++t) {
    float tail = 0;
    for (std::size_t i = full; i < cols; ++i) tail += bf16ToF32(w[i]) * x[t * xStride + i];
    out[t * outStride] = _mm512_reduce_add_ps(acc[t]) + tail;
  }
}

void fp8Rows4(const std::uint8_t* w, std::size_t rowBytes, const std::uint8_t* scales,
              std::size_t cols, const float* x, float* out) {
  __m512 total[4];
  for (auto& t : total) t = _mm512_setzero_ps();
  const std::size_t fullBlocks = cols / 128;
  for (std::size_t b = 0; b < fullBlocks; ++b) {
    __m512 acc[4][2];
    for (auto& row : acc) row[0] = row[1] = _mm512_setzero_ps();
    // The next four rows, same block: four short streams restart with every group of rows, which
    // the hardware prefetcher follows too late (measured: 13-15 GB/s from DRAM against 21 in L2).
    for (std::size_t r = 8; r < 12; ++r) {
      _mm_prefetch(reinterpret_cast<const char*>(w + r * rowBytes + b * 128), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(w + r * rowBytes + b * 128 + 64), _MM_HINT_T0);
    }
    for (std::size_t c = 0; c < 8; ++c) {
      const std::size_t i = b * 128 + c * 16;
      const __m512 xv = _mm512_loadu_ps(x + i);
      for (std::size_t r = 0; r < 4; ++r)
        acc[r][c & 1] = _mm512_fmadd_ps(e4m3x16Scaled(w + r * rowBytes + i), xv, acc[r][c & 1]);
    }
    const __m512 scale = _mm512_set1_ps(e8m0ToF32(scales[b]) * 0x1p60f);
    for (std::size_t r = 0; r < 4; ++r)
      total[r] = _mm512_fmadd_ps(
          _mm512_mul_ps(_mm512_add_ps(acc[r][0], acc[r][1]), _mm512_set1_ps(0x1p60f)), scale,
          total[r]);
  }
  for (std::size_t r = 0; r < 4; ++r) {
    float tail = 0;
    for (std::size_t i = fullBlocks * 128; i < cols; ++i)
      tail += e4m3ToF32(w[r * rowBytes + i]) * x[i];
    if (fullBlocks * 128 < cols) tail *= e8m0ToF32(scales[fullBlocks]);
    out[r] = _mm512_reduce_add_ps(total[r]) + tail;
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
  const std::size_t full = cols / 16 * 16;
  for (std::size_t t = 0; t < tokens; ++t) {
    const float* xt = x + t * xStride;
    __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
    std::size_t i = 0;
    for (; i + 32 <= full; i += 32) {
      a0 = _mm512_fmadd_ps(_mm512_loadu_ps(w + i), _mm512_loadu_ps(xt + i), a0);
      a1 = _mm512_fmadd_ps(_mm512_loadu_ps(w + i + 16), _mm512_loadu_ps(xt + i + 16), a1);
    }
    for (; i < full; i += 16)
      a0 = _mm512_fmadd_ps(_mm512_loadu_ps(w + i), _mm512_loadu_ps(xt + i), a0);
    float tail = 0;
    for (; i < cols; ++i) tail += w[i] * xt[i];
    out[t * outStride] = _mm512_reduce_add_ps(_mm512_add_ps(a0, a1)) + tail;
  }
}

}  // namespace

const RowDotKernels* rowDotKernelsAvx512() {
  static const RowDotKernels k{"avx512", fp8Dot, fp4Dot, bf16Dot, f32Dot, fp8Rows4};
  return &k;
}

}  // namespace flint::kernels

#pragma GCC pop_options
