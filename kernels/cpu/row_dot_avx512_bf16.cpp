// FP4, FP8 and BF16 rows against activations that bf16 holds exactly, through AVX512-BF16's
// vdpbf16ps: 32 products per instruction instead of 16 FMAs. e2m1 and e4m3 values and e4m3-valued
// activations with power-of-two scales (official numerics) are exact in bf16, and a product of two
// bf16 values is exact in fp32, so only the fp32 summation order differs from the FMA kernel.
// vdpbf16ps treats bf16 subnormals as zero; the caller hands over activations only when none is
// subnormal, e2m1 has none, and e4m3's smallest (2^-9) is a bf16 normal.
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

// e4m3 magnitudes (the byte's low 7 bits) as bf16: 128 entries, exact. Index 127 is NaN.
struct E4m3Bf16Table {
  alignas(64) std::uint16_t values[128];
  constexpr E4m3Bf16Table() : values() {
    for (int i = 0; i < 128; ++i) {
      const int e = i >> 3, m = i & 7;
      if (i == 127) {
        values[i] = 0x7FC0;
      } else if (e == 0) {  // m * 2^-9: normalise the mantissa into bf16's 7 bits
        if (m == 0) continue;
        int shift = 0;
        while ((m << shift) < 8) ++shift;
        values[i] = std::uint16_t(((127 - 6 - shift) << 7) | (((m << shift) & 7) << 4));
      } else {
        values[i] = std::uint16_t(((e - 7 + 127) << 7) | (m << 4));
      }
    }
  }
};
constexpr E4m3Bf16Table kE4m3Bf16{};

// FP8 rows: 32 bytes widen (sign-extended) to 16-bit lanes; two vpermt2w look the low 6 bits up
// in the table's halves, bit 6 picks one, and a ternary-logic op puts the sign back. (Shifting
// the bits into place, as the FMA kernel does, would leave e4m3 subnormals as bf16 subnormals,
// which vdpbf16ps reads as zero.)
// Each 128-column block sums on its own and takes its E8M0 scale once, as in the FMA kernel.
template <int T>
void fp8Bf16DotT(const std::uint8_t* w, const std::uint8_t* scales, std::size_t cols,
                 const std::uint16_t* x, std::size_t xStride, float* out, std::size_t outStride) {
  const __m512i t0 = _mm512_load_si512(kE4m3Bf16.values);
  const __m512i t1 = _mm512_load_si512(kE4m3Bf16.values + 32);
  const __m512i t2 = _mm512_load_si512(kE4m3Bf16.values + 64);
  const __m512i t3 = _mm512_load_si512(kE4m3Bf16.values + 96);
  const __m512i sign = _mm512_set1_epi16(std::int16_t(0x8000));
  const __m512i bit6 = _mm512_set1_epi16(0x40);
  constexpr int A = 2;  // per token, whatever T: batch invariance
  __m512 total[T];
  for (int t = 0; t < T; ++t) total[t] = _mm512_setzero_ps();
  const std::size_t fullBlocks = cols / 128;
  for (std::size_t b = 0; b < fullBlocks; ++b) {
    __m512 acc[T][A];
    for (int t = 0; t < T; ++t)
      for (int a = 0; a < A; ++a) acc[t][a] = _mm512_setzero_ps();
    for (std::size_t c = 0; c < 4; ++c) {
      const std::size_t i = b * 128 + c * 32;
      // The same bytes of the next row: rows are contiguous, and the hardware prefetcher falls
      // behind on the short runs of rows each thread takes.
      if (c % 2 == 0) _mm_prefetch(reinterpret_cast<const char*>(w + cols + i), _MM_HINT_T0);
      const __m512i bytes =
          _mm512_cvtepi8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + i)));
      const __m512i magnitude = _mm512_mask_blend_epi16(_mm512_test_epi16_mask(bytes, bit6),
                                                        _mm512_permutex2var_epi16(t0, bytes, t1),
                                                        _mm512_permutex2var_epi16(t2, bytes, t3));
      const __m512bh wv =
          reinterpret_cast<__m512bh>(_mm512_ternarylogic_epi32(magnitude, bytes, sign, 0xF8));
      for (int t = 0; t < T; ++t)
        acc[t][c % A] = _mm512_dpbf16_ps(
            acc[t][c % A], wv, reinterpret_cast<__m512bh>(_mm512_loadu_si512(x + t * xStride + i)));
    }
    const __m512 scale = _mm512_set1_ps(e8m0ToF32(scales[b]));
    for (int t = 0; t < T; ++t)
      total[t] = _mm512_fmadd_ps(_mm512_add_ps(acc[t][0], acc[t][1]), scale, total[t]);
  }
  for (int t = 0; t < T; ++t) {
    float tail = 0;
    for (std::size_t i = fullBlocks * 128; i < cols; ++i)
      tail += e4m3ToF32(w[i]) * bf16ToF32(x[t * xStride + i]);
    if (fullBlocks * 128 < cols) tail *= e8m0ToF32(scales[fullBlocks]);
    out[t * outStride] = _mm512_reduce_add_ps(total[t]) + tail;
  }
}

// One run of up to kFusedTokens tokens through a quantized-row kernel.
using RunKernel = void (*)(const std::uint8_t* w, const std::uint8_t* scales, std::size_t cols,
                           const std::uint16_t* x, std::size_t xStride, float* out,
                           std::size_t outStride);

// Any number of tokens: runs of four, then the rest, each with the kernel for its length.
template <RunKernel K1, RunKernel K2, RunKernel K3, RunKernel K4>
void quantBf16Dot(const std::uint8_t* w, const std::uint8_t* scales, std::size_t cols,
                  const std::uint16_t* x, std::size_t xStride, std::size_t tokens, float* out,
                  std::size_t outStride) {
  constexpr RunKernel kernels[] = {K1, K2, K3, K4};
  forTokenRuns(tokens, [&](std::size_t t0, auto run) {
    kernels[decltype(run)::value - 1](w, scales, cols, x + t0 * xStride, xStride,
                                      out + t0 * outStride, outStride);
  });
}

}  // namespace

QuantBf16Kernel fp4Bf16KernelAvx512() {
  return quantBf16Dot<fp4Bf16DotT<1>, fp4Bf16DotT<2>, fp4Bf16DotT<3>, fp4Bf16DotT<4>>;
}

QuantBf16Kernel fp8Bf16KernelAvx512() {
  return quantBf16Dot<fp8Bf16DotT<1>, fp8Bf16DotT<2>, fp8Bf16DotT<3>, fp8Bf16DotT<4>>;
}

Bf16Bf16Kernel bf16Bf16KernelAvx512() {
  return bf16Bf16Dot;
}

}  // namespace flint::kernels

#pragma GCC pop_options
