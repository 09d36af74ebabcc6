// Every row-kernel ISA against the scalar dequant reference, on random data (never zeros),
// odd shapes with tail blocks, few and many tokens, with and without the thread pool.
#include "kernels/cpu/cpu_features.h"
#include "kernels/cpu/dequant.h"
#include "kernels/cpu/matmul.h"
#include "kernels/cpu/quant_formats.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace flint::kernels {
namespace {

// fp32 accumulation in a different order than the double reference: the error bound is
// relative to sum |w*x| (what cancellation can cost), scaled by a generous count of ulps.
constexpr double kRelativeTolerance = 2e-6;

struct Case {
  WeightFormat format;
  std::size_t rows, cols, tokens;
};

struct Weights {
  std::vector<std::uint8_t> bytes;
  std::vector<std::uint8_t> scales;
  std::vector<float> dense;  // the scalar reference's dequantization, [rows, cols]
  WeightView view;
};

Weights makeWeights(WeightFormat format, std::size_t rows, std::size_t cols, std::mt19937& rng) {
  Weights w;
  std::uniform_int_distribution<int> byte(0, 255), scale(118, 132);
  w.dense.resize(rows * cols);
  w.view = {format, nullptr, nullptr, rows, cols};
  switch (format) {
    case WeightFormat::Fp8Block128: {
      w.bytes.resize(rows * cols);
      for (auto& b : w.bytes) {
        do b = std::uint8_t(byte(rng));
        while ((b & 0x7f) == 0x7f);  // NaN codes never appear in weights
      }
      w.scales.resize(ceilDiv(rows, 128) * ceilDiv(cols, 128));
      for (auto& s : w.scales) s = std::uint8_t(scale(rng));
      dequantFp8BlockScalar(w.bytes.data(), w.scales.data(), rows, cols, w.dense.data());
      break;
    }
    case WeightFormat::Fp4Group32: {
      w.bytes.resize(rows * ceilDiv(cols, 2));
      for (auto& b : w.bytes) b = std::uint8_t(byte(rng));
      w.scales.resize(rows * ceilDiv(cols, 32));
      for (auto& s : w.scales) s = std::uint8_t(scale(rng));
      dequantFp4GroupScalar(w.bytes.data(), w.scales.data(), rows, cols, w.dense.data());
      break;
    }
    case WeightFormat::BF16: {
      std::vector<std::uint16_t> halves(rows * cols);
      std::normal_distribution<float> normal;
      for (auto& h : halves) {
        const float f = normal(rng);
        std::uint32_t bits;
        std::memcpy(&bits, &f, 4);
        h = std::uint16_t(bits >> 16);
      }
      w.bytes.resize(halves.size() * 2);
      std::memcpy(w.bytes.data(), halves.data(), w.bytes.size());
      dequantBf16Scalar(halves.data(), halves.size(), w.dense.data());
      break;
    }
    case WeightFormat::F32: {
      std::normal_distribution<float> normal;
      for (auto& f : w.dense) f = normal(rng);
      w.bytes.resize(w.dense.size() * 4);
      std::memcpy(w.bytes.data(), w.dense.data(), w.bytes.size());
      break;
    }
  }
  w.view.data = w.bytes.data();
  w.view.scales = w.scales.empty() ? nullptr : w.scales.data();
  return w;
}

std::vector<const RowDotKernels*> allKernels() {
  std::vector<const RowDotKernels*> out = {&rowDotKernelsScalar()};
  const std::string best = bestRowDotKernels().isa;
  // Only ISAs this CPU runs: AVX2 wherever AVX-512 is chosen, and the chosen one itself.
  if (best == "avx512" || best == "avx2") out.push_back(rowDotKernelsAvx2());
  if (best == "avx512") out.push_back(rowDotKernelsAvx512());
  return out;
}

const char* formatName(WeightFormat f) {
  switch (f) {
    case WeightFormat::F32:
      return "f32";
    case WeightFormat::BF16:
      return "bf16";
    case WeightFormat::Fp8Block128:
      return "fp8";
    case WeightFormat::Fp4Group32:
      return "fp4";
  }
  return "?";
}

// What official numerics feed a quantized linear: e4m3 values times a power-of-two scale per
// block of 128, which bf16 holds exactly.
float e4m3Valued(std::mt19937& rng, std::size_t i) {
  float v;
  do v = e4m3ToF32(std::uint8_t(rng()));
  while (std::isnan(v) || v == 0);
  return std::ldexp(v, int(i / 128 % 5) - 6);
}

enum class Activations { Normal, E4m3Valued };

void checkCase(const Case& c, ThreadPool* pool, Activations kind = Activations::Normal,
               std::vector<const RowDotKernels*> kernels = allKernels()) {
  std::mt19937 rng(unsigned(c.rows * 7919 + c.cols * 31 + c.tokens));
  const Weights w = makeWeights(c.format, c.rows, c.cols, rng);
  std::vector<float> x(c.tokens * c.cols);
  std::normal_distribution<float> normal;
  for (std::size_t i = 0; i < x.size(); ++i)
    x[i] = kind == Activations::Normal ? normal(rng) : e4m3Valued(rng, i % c.cols);

  for (const RowDotKernels* k : kernels) {
    std::vector<float> y(c.tokens * c.rows, NAN);
    matmul(w.view, x.data(), c.tokens, y.data(), pool, *k);
    for (std::size_t t = 0; t < c.tokens; ++t)
      for (std::size_t r = 0; r < c.rows; ++r) {
        double ref = 0, magnitude = 0;
        for (std::size_t i = 0; i < c.cols; ++i) {
          const double p = double(w.dense[r * c.cols + i]) * x[t * c.cols + i];
          ref += p;
          magnitude += std::fabs(p);
        }
        const double got = y[t * c.rows + r];
        ASSERT_NEAR(got, ref, kRelativeTolerance * magnitude + 1e-30)
            << k->isa << " " << formatName(c.format) << " rows=" << c.rows << " cols=" << c.cols
            << " tokens=" << c.tokens << " at t=" << t << " r=" << r;
      }
  }
}

TEST(Matmul, EveryIsaMatchesTheScalarDequantReference) {
  for (WeightFormat f :
       {WeightFormat::Fp8Block128, WeightFormat::Fp4Group32, WeightFormat::BF16, WeightFormat::F32})
    for (std::size_t cols : {1, 7, 31, 32, 33, 127, 128, 129, 300, 1024})
      for (std::size_t rows : {1, 17, 130})
        for (std::size_t tokens : {1, 3, 4, 5, 9}) checkCase({f, rows, cols, tokens}, nullptr);
}

// The bf16 dot-product paths for FP4 and BF16 (AVX512-BF16): taken for bf16-exact activations,
// and refused for anything else (inexact values, bf16 subnormals the instruction reads as zero).
TEST(Matmul, Bf16ExactActivationsMatchTheReference) {
  const RowDotKernels& best = bestRowDotKernels();
  if (std::string(best.isa) == "avx512" && cpuFeatures().avx512bf16) {
    ASSERT_NE(best.fp4Bf16, nullptr) << "this CPU has AVX512-BF16; the kernel must be chosen";
    ASSERT_NE(best.fp8Bf16, nullptr);
    ASSERT_NE(best.bf16Bf16, nullptr);
  }
  if (!best.fp4Bf16) GTEST_SKIP() << "this CPU has no AVX512-BF16";
  for (WeightFormat f : {WeightFormat::Fp4Group32, WeightFormat::Fp8Block128, WeightFormat::BF16})
    for (std::size_t cols : {1, 31, 33, 64, 96, 127, 128, 129, 300, 1024, 2048})
      for (std::size_t tokens : {1, 2, 3, 4, 5}) {
        checkCase({f, 19, cols, tokens}, nullptr, Activations::E4m3Valued, {&best});
        checkCase({f, 19, cols, tokens}, nullptr, Activations::Normal, {&best});
      }
}

TEST(Matmul, Bf16PathsHandleEdgeScalesAndSubnormalActivations) {
  const RowDotKernels& best = bestRowDotKernels();
  if (!best.fp4Bf16) GTEST_SKIP() << "this CPU has no AVX512-BF16";
  std::mt19937 rng(5);
  for (WeightFormat f : {WeightFormat::Fp4Group32, WeightFormat::Fp8Block128}) {
    Weights w = makeWeights(f, 3, 256, rng);
    w.scales[0] = 0;  // 2^-127: a float subnormal the FP4 fast path cannot shift into place
    if (f == WeightFormat::Fp8Block128) {
      w.bytes[5] = 0x01;  // e4m3 subnormals (2^-9, -7 * 2^-9): bf16 normals, not lost
      w.bytes[6] = 0x87;
      dequantFp8BlockScalar(w.bytes.data(), w.scales.data(), 3, 256, w.dense.data());
    } else {
      dequantFp4GroupScalar(w.bytes.data(), w.scales.data(), 3, 256, w.dense.data());
    }
    // The second is a bf16 subnormal, which sends the call to the FMA kernels; the FP8 one scales
    // its products by 2^-120 on the way, so it is only asked about normal activations.
    for (float magnitude : {1.0f, 0x1p-130f}) {
      if (f == WeightFormat::Fp8Block128 && magnitude < 1) continue;
      std::vector<float> x(256);
      for (std::size_t i = 0; i < x.size(); ++i) x[i] = (i % 3 ? magnitude : -magnitude) * 0.75f;
      std::vector<float> y(3);
      matmul(w.view, x.data(), 1, y.data(), nullptr, best);
      for (std::size_t r = 0; r < 3; ++r) {
        double ref = 0;
        for (std::size_t i = 0; i < 256; ++i) ref += double(w.dense[r * 256 + i]) * x[i];
        EXPECT_NEAR(y[r], ref, std::fabs(ref) * 1e-6 + 1e-45)
            << formatName(f) << " row " << r << " x " << magnitude;
        EXPECT_NE(ref, 0.0);
      }
    }
  }
}

// Every e4m3 code, alone in its row, through the FP8 bf16 path: the table and the sign must be
// exact (a product of two bf16 values is exact in fp32).
TEST(Matmul, Fp8Bf16PathConvertsEveryE4m3Code) {
  const RowDotKernels& best = bestRowDotKernels();
  if (!best.fp8Bf16) GTEST_SKIP() << "this CPU has no AVX512-BF16";
  const std::size_t cols = 128, rows = 256;
  std::vector<std::uint8_t> bytes(rows * cols, 0), scales(ceilDiv(rows, 128), 127);
  for (std::size_t r = 0; r < rows; ++r) bytes[r * cols + r % cols] = std::uint8_t(r);
  const WeightView view{WeightFormat::Fp8Block128, bytes.data(), scales.data(), rows, cols};
  const std::vector<float> x(cols, 1.0f);
  std::vector<float> y(rows);
  matmul(view, x.data(), 1, y.data(), nullptr, best);
  for (std::size_t r = 0; r < rows; ++r) {
    const float want = e4m3ToF32(std::uint8_t(r));
    if (std::isnan(want))
      EXPECT_TRUE(std::isnan(y[r])) << "code " << r;
    else
      EXPECT_EQ(y[r], want) << "code " << r;
  }
}

// A token's result must not depend on the other tokens of the call: a speculative verify pass
// and plain decoding have to agree bit for bit.
TEST(Matmul, BatchInvariant) {
  std::mt19937 rng(21);
  for (WeightFormat f :
       {WeightFormat::Fp8Block128, WeightFormat::Fp4Group32, WeightFormat::BF16, WeightFormat::F32})
    for (Activations kind : {Activations::Normal, Activations::E4m3Valued})
      for (std::size_t cols : {33, 256, 300}) {
        const Weights w = makeWeights(f, 136, cols, rng);  // 136: four-row groups and a tail
        for (std::size_t tokens : {2, 3, 4, 5, 9}) {
          std::vector<float> x(tokens * cols);
          std::normal_distribution<float> normal;
          for (std::size_t i = 0; i < x.size(); ++i)
            x[i] = kind == Activations::Normal ? normal(rng) : e4m3Valued(rng, i % cols);
          for (const RowDotKernels* k : {&bestRowDotKernels(), &rowDotKernelsScalar()}) {
            std::vector<float> together(tokens * 136), alone(136);
            matmul(w.view, x.data(), tokens, together.data(), nullptr, *k);
            for (std::size_t t = 0; t < tokens; ++t) {
              matmul(w.view, x.data() + t * cols, 1, alone.data(), nullptr, *k);
              for (std::size_t r = 0; r < 136; ++r)
                ASSERT_EQ(std::bit_cast<std::uint32_t>(together[t * 136 + r]),
                          std::bit_cast<std::uint32_t>(alone[r]))
                    << k->isa << " " << formatName(f) << " cols " << cols << " token " << t
                    << " of " << tokens << " row " << r;
            }
          }
        }
      }
}

TEST(Matmul, ThreadPoolGivesIdenticalResults) {
  ThreadPool pool(3);
  std::mt19937 rng(7);
  for (WeightFormat f : {WeightFormat::Fp8Block128, WeightFormat::Fp4Group32})
    for (std::size_t tokens : {1, 6}) {
      const Weights w = makeWeights(f, 257, 384, rng);
      std::vector<float> x(tokens * 384);
      std::normal_distribution<float> normal;
      for (auto& v : x) v = normal(rng);
      std::vector<float> serial(tokens * 257), parallel(tokens * 257);
      matmul(w.view, x.data(), tokens, serial.data(), nullptr);
      matmul(w.view, x.data(), tokens, parallel.data(), &pool);
      EXPECT_EQ(serial, parallel) << "rows are independent, so threading must not change a bit";
      checkCase({f, 257, 384, tokens}, &pool);
    }
}

TEST(Matmul, RowsOfAViewMatchTheWholeWeight) {
  std::mt19937 rng(11);
  for (WeightFormat f : {WeightFormat::Fp8Block128, WeightFormat::Fp4Group32, WeightFormat::BF16})
    for (std::size_t begin : {0, 64, 130}) {
      const Weights w = makeWeights(f, 300, 256, rng);
      std::vector<float> x(256);
      std::normal_distribution<float> normal;
      for (auto& v : x) v = normal(rng);
      std::vector<float> whole(300), part(100);
      matmul(w.view, x.data(), 1, whole.data(), nullptr);
      // A view of a view: offsets inside the FP8 scale grid must add up.
      const WeightView outer = rowsOf(w.view, begin / 2, 170);
      matmul(rowsOf(outer, begin - begin / 2, 100), x.data(), 1, part.data(), nullptr);
      for (std::size_t r = 0; r < 100; ++r)
        ASSERT_EQ(part[r], whole[begin + r]) << formatName(f) << " " << begin;
    }
}

TEST(Matmul, ReportsBytesRead) {
  EXPECT_EQ((WeightView{WeightFormat::Fp8Block128, nullptr, nullptr, 256, 300}.bytes()),
            256u * 300 + 2 * 3);
  EXPECT_EQ((WeightView{WeightFormat::Fp4Group32, nullptr, nullptr, 4, 65}.bytes()),
            4u * 33 + 4 * 3);
  EXPECT_EQ((WeightView{WeightFormat::BF16, nullptr, nullptr, 3, 5}.bytes()), 30u);
}

TEST(Matmul, ChoosesTheWidestIsaThisCpuRuns) {
  const std::string isa = bestRowDotKernels().isa;
  EXPECT_TRUE(isa == "avx512" || isa == "avx2" || isa == "scalar") << isa;
}

}  // namespace
}  // namespace flint::kernels
