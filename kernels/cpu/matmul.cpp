#include "kernels/cpu/matmul.h"

#include "kernels/cpu/cpu_features.h"
#include "kernels/cpu/dequant.h"

#include <bit>
#include <vector>

namespace flint::kernels {
namespace {

// Rows per scheduling chunk: enough work to amortise the hand-off, small enough to balance.
constexpr std::size_t kRowGrain = 16;

// FP4 kernels take activations as [even | odd] halves, matching the nibble order.
void splitEvenOdd(const float* x, std::size_t tokens, std::size_t cols, float* out) {
  const std::size_t half = (cols + 1) / 2;
  for (std::size_t t = 0; t < tokens; ++t) {
    const float* xt = x + t * cols;
    float* even = out + t * 2 * half;
    float* odd = even + half;
    for (std::size_t k = 0; k < half; ++k) {
      even[k] = xt[2 * k];
      odd[k] = 2 * k + 1 < cols ? xt[2 * k + 1] : 0.0f;
    }
  }
}

// Activations as bf16 into `out`, when every value converts exactly and none is a bf16
// subnormal (which vdpbf16ps reads as zero); false otherwise. Official numerics round a
// quantized linear's input to e4m3 values with power-of-two scales and store other activations
// as bf16, so they qualify. `split` gives FP4's [even | odd] layout, 2 * ceil(cols/2) values
// per token.
bool exactBf16(const float* x, std::size_t tokens, std::size_t cols, bool split,
               std::uint16_t* out) {
  const std::size_t half = (cols + 1) / 2, stride = split ? 2 * half : cols;
  std::uint32_t inexact = 0;
  auto convert = [&](float v) {
    const auto bits = std::bit_cast<std::uint32_t>(v);
    const std::uint32_t exponent = bits & 0x7F800000u;
    inexact |= (bits & 0xFFFFu) | std::uint32_t(exponent == 0x7F800000u) |
               std::uint32_t(exponent == 0 && (bits & 0x7FFFFFFFu) != 0);
    return std::uint16_t(bits >> 16);
  };
  for (std::size_t t = 0; t < tokens; ++t) {
    const float* xt = x + t * cols;
    std::uint16_t* row = out + t * stride;
    for (std::size_t i = 0; i < cols; ++i) {
      row[split ? (i % 2) * half + i / 2 : i] = convert(xt[i]);
      if (i % 128 == 127 && inexact) return false;  // fp32 numerics: give up early
    }
    if (split && cols % 2) row[2 * half - 1] = 0;
  }
  return !inexact;
}

// Decode over four FP8 rows at a time where the ISA has that kernel; a row whose group of four
// would span two scale blocks goes alone. Returns the first row left for the one-row loop.
std::size_t rowsFusedByFour(const WeightView& w, const float* x, float* y, std::size_t begin,
                            std::size_t end, const RowDotKernels& k) {
  if (w.format != WeightFormat::Fp8Block128 || !k.fp8Rows4) return begin;
  const std::size_t cols = w.cols, scaleCols = ceilDiv(cols, kFp8BlockSize);
  const auto* data = static_cast<const std::uint8_t*>(w.data);
  std::size_t r = begin;
  while (r + 4 <= end) {
    const std::size_t first = r + w.scaleRowOffset;
    const std::uint8_t* scales = w.scales + (first / kFp8BlockSize) * scaleCols;
    if (first / kFp8BlockSize == (first + 3) / kFp8BlockSize) {
      k.fp8Rows4(data + r * cols, cols, scales, cols, x, y + r);
      r += 4;
    } else {
      k.fp8(data + r * cols, scales, cols, x, cols, 1, y + r, 1);
      r += 1;
    }
  }
  return r;
}

void rowsFused(const WeightView& w, const float* x, std::size_t xStride, std::size_t tokens,
               float* y, std::size_t begin, std::size_t end, const RowDotKernels& k) {
  const std::size_t cols = w.cols;
  std::size_t r = begin;
  if (tokens == 1) r = rowsFusedByFour(w, x, y, begin, end, k);
  for (; r < end; ++r) {
    float* out = y + r;
    switch (w.format) {
      case WeightFormat::Fp8Block128: {
        const auto* data = static_cast<const std::uint8_t*>(w.data) + r * cols;
        const auto* scales =
            w.scales + ((r + w.scaleRowOffset) / kFp8BlockSize) * ceilDiv(cols, kFp8BlockSize);
        k.fp8(data, scales, cols, x, xStride, tokens, out, w.rows);
        break;
      }
      case WeightFormat::Fp4Group32: {
        const auto* data = static_cast<const std::uint8_t*>(w.data) + r * ceilDiv(cols, 2);
        const auto* scales = w.scales + r * ceilDiv(cols, kFp4GroupSize);
        k.fp4(data, scales, cols, x, xStride, tokens, out, w.rows);
        break;
      }
      case WeightFormat::BF16:
        k.bf16(static_cast<const std::uint16_t*>(w.data) + r * cols, cols, x, xStride, tokens, out,
               w.rows);
        break;
      case WeightFormat::F32:
        k.f32(static_cast<const float*>(w.data) + r * cols, cols, x, xStride, tokens, out, w.rows);
        break;
    }
  }
}

void rowsBf16(const WeightView& w, const std::uint16_t* x, std::size_t xStride, std::size_t tokens,
              float* y, std::size_t begin, std::size_t end, const RowDotKernels& k) {
  for (std::size_t r = begin; r < end; ++r)
    if (w.format == WeightFormat::Fp4Group32)
      k.fp4Bf16(static_cast<const std::uint8_t*>(w.data) + r * ceilDiv(w.cols, 2),
                w.scales + r * ceilDiv(w.cols, kFp4GroupSize), w.cols, x, xStride, tokens, y + r,
                w.rows);
    else if (w.format == WeightFormat::Fp8Block128)
      k.fp8Bf16(
          static_cast<const std::uint8_t*>(w.data) + r * w.cols,
          w.scales + ((r + w.scaleRowOffset) / kFp8BlockSize) * ceilDiv(w.cols, kFp8BlockSize),
          w.cols, x, xStride, tokens, y + r, w.rows);
    else
      k.bf16Bf16(static_cast<const std::uint16_t*>(w.data) + r * w.cols, w.cols, x, xStride, tokens,
                 y + r, w.rows);
}

// How a matmul's rows are computed, with its activations in the layout that path takes.
struct Prepared {
  enum class Path { Bf16, Fused } path;
  const void* x;
  std::size_t xStride;
};

}  // namespace

std::size_t WeightView::bytes() const {
  switch (format) {
    case WeightFormat::F32:
      return rows * cols * 4;
    case WeightFormat::BF16:
      return rows * cols * 2;
    case WeightFormat::Fp8Block128:
      return rows * cols + ceilDiv(rows, kFp8BlockSize) * ceilDiv(cols, kFp8BlockSize);
    case WeightFormat::Fp4Group32:
      return rows * ceilDiv(cols, 2) + rows * ceilDiv(cols, kFp4GroupSize);
  }
  return 0;
}

WeightView rowsOf(const WeightView& w, std::size_t begin, std::size_t count) {
  WeightView v = w;
  v.rows = count;
  switch (w.format) {
    case WeightFormat::F32:
      v.data = static_cast<const float*>(w.data) + begin * w.cols;
      break;
    case WeightFormat::BF16:
      v.data = static_cast<const std::uint16_t*>(w.data) + begin * w.cols;
      break;
    case WeightFormat::Fp8Block128: {
      const std::size_t first = begin + w.scaleRowOffset;
      v.data = static_cast<const std::uint8_t*>(w.data) + begin * w.cols;
      v.scales = w.scales + (first / kFp8BlockSize) * ceilDiv(w.cols, kFp8BlockSize);
      v.scaleRowOffset = first % kFp8BlockSize;
      break;
    }
    case WeightFormat::Fp4Group32:
      v.data = static_cast<const std::uint8_t*>(w.data) + begin * ceilDiv(w.cols, 2);
      v.scales = w.scales + begin * ceilDiv(w.cols, kFp4GroupSize);
      break;
  }
  return v;
}

const RowDotKernels& bestRowDotKernels() {
  static const RowDotKernels& chosen = [&]() -> const RowDotKernels& {
    const std::string isa = bestKernelIsa(cpuFeatures());
    const CpuFeatures& f = cpuFeatures();
    if (isa == "avx512" && f.f16c && f.fma)
      if (const auto* k = rowDotKernelsAvx512()) {
        static RowDotKernels withBf16 = *k;
        if (f.avx512bf16) {
          withBf16.fp4Bf16 = fp4Bf16KernelAvx512();
          withBf16.fp8Bf16 = fp8Bf16KernelAvx512();
          withBf16.bf16Bf16 = bf16Bf16KernelAvx512();
        }
        return withBf16;
      }
    if (f.avx2 && f.fma && f.f16c)
      if (const auto* k = rowDotKernelsAvx2()) return *k;
    return rowDotKernelsScalar();
  }();
  return chosen;
}

float dotProduct(const float* a, const float* b, std::size_t n) {
  float out = 0;
  bestRowDotKernels().f32(a, n, b, n, 1, &out, 1);
  return out;
}

void matmul(const WeightView& w, const float* x, std::size_t tokens, float* y, ThreadPool* pool,
            const RowDotKernels& k) {
  if (tokens == 0 || w.rows == 0) return;
  // Per-thread activation copies that grow and never shrink; the pool's workers read the
  // caller's through `p`.
  thread_local std::vector<float> floats;
  thread_local std::vector<std::uint16_t> halves;
  const bool fp4 = w.format == WeightFormat::Fp4Group32;
  const std::size_t split = 2 * ceilDiv(w.cols, 2);
  const bool bf16Kernel = fp4 ? k.fp4Bf16 != nullptr
                          : w.format == WeightFormat::Fp8Block128
                              ? k.fp8Bf16 != nullptr
                              : w.format == WeightFormat::BF16 && k.bf16Bf16 != nullptr;
  Prepared p{Prepared::Path::Fused, x, w.cols};
  if (bf16Kernel) {
    if (halves.size() < tokens * split) halves.resize(tokens * split);
    if (exactBf16(x, tokens, w.cols, fp4, halves.data()))
      p = {Prepared::Path::Bf16, halves.data(), fp4 ? split : w.cols};
  }
  if (p.path != Prepared::Path::Bf16 && fp4) {
    if (floats.size() < tokens * split) floats.resize(tokens * split);
    splitEvenOdd(x, tokens, w.cols, floats.data());
    p.x = floats.data();
    p.xStride = split;
  }
  auto job = [&](std::size_t begin, std::size_t end) {
    switch (p.path) {
      case Prepared::Path::Bf16:
        rowsBf16(w, static_cast<const std::uint16_t*>(p.x), p.xStride, tokens, y, begin, end, k);
        break;
      case Prepared::Path::Fused:
        rowsFused(w, static_cast<const float*>(p.x), p.xStride, tokens, y, begin, end, k);
        break;
    }
  };
  if (pool)
    pool->parallelFor(w.rows, kRowGrain, job);
  else
    job(0, w.rows);
}

}  // namespace flint::kernels
