// FP4 and BF16 rows against activations that bf16 holds exactly, through AVX512-BF16's
// vdpbf16ps: 32 products per instruction instead of 16 FMAs. e2m1 values and e4m3-valued
// activations with power-of-two scales (official numerics) are exact in bf16, and a product of two
// bf16 values is exact in fp32, so only the fp32 summation order differs from the FMA kernel.
// vdpbf16ps treats bf16 subnormals as zero; the caller hands over activations only when none is
// subnormal, and e2m1 has none.
//
// One step covers 64 weights (32 bytes, two scale groups): the bytes widen to 16-bit lanes that
// index a table of e2m1 values as bf16 once for the low nibbles and once for the high ones, and
// the activations come split into even and odd elements to match.
#include "kernels/cpu/quant_formats.h"
#include "kernels/cpu/row_dot.h"
#include "kernels/cpu/token_runs.h"

#include <cstring>

#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512bf16,fma")

namespace flint::kernels {
namespace {

// e2m1 as bf16, twice: vpermw reads five index bits, and the fifth is the high nibble's lowest.
inline __m512i e2m1Bf16Table() {
  return _mm512_setr_epi32(0x3F000000, 0x3FC03F80, 0x40404000, 0x40C04080, 0xBF008000, 0xBFC0BF80,
                           0xC040C000, 0xC0C0C080, 0x3F000000, 0x3FC03F80, 0x40404000, 0x40C04080,
                           0xBF008000, 0xBFC0BF80, 0xC040C000, 0xC0C0C080);
}

// Byte 0 (2^-127, a float subnormal) and 255 (NaN) do not survive the shift into a float's
// exponent field; rows holding either take the scalar path.
inline bool scalesShiftable(const std::uint8_t* scales, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i)
    if (scales[i] == 0 || scales[i] == 0xFF) return false;
  return true;
}

float scalarRow(const std::uint8_t* w, const std::uint8_t* scales, std::size_t cols,
                const std::uint16_t* x, std::size_t half, std::size_t fromByte) {
  float sum = 0;
  for (std::size_t k = fromByte; k < half; ++k) {
    const float scale = e8m0ToF32(scales[k / 16]);
    sum += e2m1ToF32(w[k]) * scale * bf16ToF32(x[k]);
    if (2 * k + 1 < cols) sum += e2m1ToF32(w[k] >> 4) * scale * bf16ToF32(x[half + k]);
  }
  return sum;
}

// Each dword gets its group's scale byte in its top byte, chosen by `pick` from the (up to) four
// scale bytes repeated in every dword; a shift right by one puts it in the float exponent field.
inline __m512 scaleOf(__m512i fourScales, __m512i pick) {
  return _mm512_castsi512_ps(_mm512_srli_epi32(_mm512_shuffle_epi8(fourScales, pick), 1));
}

template <int T>
void fp4Bf16DotT(const std::uint8_t* w, const std::uint8_t* scales, std::size_t cols,
                 const std::uint16_t* x, std::size_t xStride, float* out, std::size_t outStride) {
  const std::size_t half = (cols + 1) / 2;
  const std::size_t chunks = cols / 64;
  if (!scalesShiftable(scales, (cols + 31) / 32)) {
    for (int t = 0; t < T; ++t)
      out[t * outStride] = scalarRow(w, scales, cols, x + t * xStride, half, 0);
    return;
  }
  const __m512i table = e2m1Bf16Table();
  // Lanes 0-7 of a step take its first group's scale, lanes 8-15 its second's.
  const __m512i firstPair = _mm512_set4_epi32(0x00808080, 0x00808080, 0x00808080, 0x00808080);
  const __m512i lanes =
      _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 0x01000000, 0x01000000, 0x01000000, 0x01000000,
                        0x01000000, 0x01000000, 0x01000000, 0x01000000);
  const __m512i pickFirst = _mm512_or_si512(firstPair, lanes);
  const __m512i pickSecond = _mm512_add_epi32(pickFirst, _mm512_set1_epi32(0x02000000));
  constexpr int A = 2;  // per token, whatever T: batch invariance
  __m512 total[T][A];
  for (int t = 0; t < T; ++t)
    for (int a = 0; a < A; ++a) total[t][a] = _mm512_setzero_ps();

  auto step = [&](std::size_t c, __m512 scale, int a) {
    // The same bytes of the next row (rows are contiguous): the hardware prefetcher restarts
    // with every chunk of rows a thread takes, and falls behind on short expert rows.
    _mm_prefetch(reinterpret_cast<const char*>(w + 32 * c + half), _MM_HINT_T0);
    const __m512i bytes =
        _mm512_cvtepu8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + 32 * c)));
    const __m512bh lo = reinterpret_cast<__m512bh>(_mm512_permutexvar_epi16(bytes, table));
    const __m512bh hi =
        reinterpret_cast<__m512bh>(_mm512_permutexvar_epi16(_mm512_srli_epi16(bytes, 4), table));
    for (int t = 0; t < T; ++t) {
      const std::uint16_t* even = x + t * xStride + 32 * c;
      __m512 sum = _mm512_dpbf16_ps(_mm512_setzero_ps(), lo,
                                    reinterpret_cast<__m512bh>(_mm512_loadu_si512(even)));
      sum = _mm512_dpbf16_ps(sum, hi, reinterpret_cast<__m512bh>(_mm512_loadu_si512(even + half)));
      total[t][a] = _mm512_fmadd_ps(sum, scale, total[t][a]);
    }
  };

  std::size_t c = 0;
  for (; c + 2 <= chunks; c += 2) {
    std::uint32_t four;
    std::memcpy(&four, scales + 2 * c, 4);
    const __m512i s = _mm512_set1_epi32(int(four));
    step(c, scaleOf(s, pickFirst), 0);
    step(c + 1, scaleOf(s, pickSecond), A - 1);
  }
  if (c < chunks) {
    std::uint16_t two;
    std::memcpy(&two, scales + 2 * c, 2);
    step(c, scaleOf(_mm512_set1_epi32(two), pickFirst), 0);
  }
  for (int t = 0; t < T; ++t) {
    __m512 sum = total[t][0];
    for (int a = 1; a < A; ++a) sum = _mm512_add_ps(sum, total[t][a]);
    out[t * outStride] =
        _mm512_reduce_add_ps(sum) + scalarRow(w, scales, cols, x + t * xStride, half, chunks * 32);
  }
}

void fp4Bf16Dot(const std::uint8_t* w, const std::uint8_t* scales, std::size_t cols,
                const std::uint16_t* x, std::size_t xStride, std::size_t tokens, float* out,
                std::size_t outStride) {
  forTokenRuns(tokens, [&](std::size_t t0, auto run) {
    fp4Bf16DotT<decltype(run)::value>(w, scales, cols, x + t0 * xStride, xStride,
                                      out + t0 * outStride, outStride);
  });
}

// BF16 rows against bf16 activations: the weights go to vdpbf16ps straight from memory. Weights
// below 2^-126 in magnitude (bf16 subnormals) count as zero here, an error under 1e-38 * |x|.
template <int T>
void bf16Bf16DotT(const std::uint16_t* w, std::size_t cols, const std::uint16_t* x,
                  std::size_t xStride, float* out, std::size_t outStride) {
  constexpr int A = 4;  // vdpbf16ps waits ~6 cycles on its sum; per token, whatever T
  __m512 acc[T][A];
  for (int t = 0; t < T; ++t)
    for (int a = 0; a < A; ++a) acc[t][a] = _mm512_setzero_ps();
  const std::size_t full = cols / 32;
  std::size_t i = 0;
  auto step = [&](std::size_t at, int a) {
    const __m512bh wv = reinterpret_cast<__m512bh>(_mm512_loadu_si512(w + at));
    for (int t = 0; t < T; ++t)
      acc[t][a] = _mm512_dpbf16_ps(
          acc[t][a], wv, reinterpret_cast<__m512bh>(_mm512_loadu_si512(x + t * xStride + at)));
  };
  for (; i + A <= full; i += A)
    for (int a = 0; a < A; ++a) step((i + std::size_t(a)) * 32, a);
  for (; i < full; ++i) step(i * 32, 0);
  for (int t = 0; t < T; ++t) {
    __m512 sum = acc[t][0];
    for (int a = 1; a < A; ++a) sum = _mm512_add_ps(sum, acc[t][a]);
    float tail = 0;
    for (std::size_t k = full * 32; k < cols; ++k)
      tail += bf16ToF32(w[k]) * bf16ToF32(x[t * xStride + k]);
    out[t * outStride] = _mm512_reduce_add_ps(sum) + tail;
  }
}

void bf16Bf16Dot(const std::uint16_t* w, std::size_t cols, const std::uint16_t* x,
                 std::size_t xStride, std::size_t tokens, float* out, std::size_t outStride) {
  forTokenRuns(tokens, [&](std::size_t t0, auto run) {
    bf16Bf16DotT<decltype(run)::value>(w, cols, x + t0 * xStride, xStride, out + t0 * outStride,
                                       outStride);
  });
}

}  // namespace

Fp4Bf16Kernel fp4Bf16KernelAvx512() {
  return fp4Bf16Dot;
}

Bf16Bf16Kernel bf16Bf16KernelAvx512() {
  return bf16Bf16Dot;
}

}  // namespace flint::kernels

#pragma GCC pop_options
