// The CUDA linear (decode path and cuBLASLt GEMM path) against kernels::matmul, for every
// weight format, at model-like and odd shapes, 1 to 23 tokens (more than one pass of 16).
#include "kernels/cpu/dequant.h"
#include "kernels/cpu/matmul.h"
#include "kernels/cpu/vector_ops.h"

#include "tests/engine/backend/cuda_test_support.h"

#include <bit>
#include <cmath>
#include <cstring>

namespace flint::engine::testing_cuda {
namespace {

using kernels::WeightFormat;

// A random weight in its checkpoint format, on the host and on the device.
struct TestWeight {
  WeightFormat format;
  std::size_t rows, cols;
  std::vector<std::uint8_t> data, scales;
  std::vector<float> dense;  // dequantized, [rows, cols], for the error bound
  DeviceBuffer deviceData, deviceScales;

  kernels::WeightView host() const {
    return {format, data.data(), scales.empty() ? nullptr : scales.data(), rows, cols, 0};
  }
  // Rows [begin, begin + count), on the device, laid out as kernels::rowsOf() lays out the view.
  DeviceWeight device(std::size_t begin, std::size_t count) const {
    const kernels::WeightView v = kernels::rowsOf(host(), begin, count);
    const auto* hostData = static_cast<const std::uint8_t*>(v.data);
    DeviceWeight d{format,  deviceData.as<std::uint8_t>() + (hostData - data.data()),
                   nullptr, count,
                   cols,    v.scaleRowOffset};
    if (v.scales) d.scales = deviceScales.as<std::uint8_t>() + (v.scales - scales.data());
    return d;
  }
};

TestWeight makeWeight(WeightFormat format, std::size_t rows, std::size_t cols, std::mt19937& rng) {
  using kernels::ceilDiv;
  TestWeight w{format, rows, cols, {}, {}, std::vector<float>(rows * cols), {}, {}};
  std::uniform_int_distribution<int> scale(118, 130);  // 2^-9 .. 2^3
  auto randomBytes = [&](std::size_t n) {
    std::vector<std::uint8_t> b(n);
    for (auto& v : b) v = std::uint8_t(rng());
    return b;
  };
  switch (format) {
    case WeightFormat::F32: {
      const auto f = uniform(rows * cols, -1.0f, 1.0f, rng);
      w.data.resize(f.size() * 4);
      std::memcpy(w.data.data(), f.data(), w.data.size());
      w.dense = f;
      break;
    }
    case WeightFormat::BF16: {
      const auto f = uniform(rows * cols, -1.0f, 1.0f, rng);
      std::vector<std::uint16_t> bits(f.size());
      for (std::size_t i = 0; i < f.size(); ++i)
        bits[i] = std::uint16_t(std::bit_cast<std::uint32_t>(f[i]) >> 16);
      w.data.resize(bits.size() * 2);
      std::memcpy(w.data.data(), bits.data(), w.data.size());
      kernels::dequantBf16Scalar(bits.data(), bits.size(), w.dense.data());
      break;
    }
    case WeightFormat::Fp8Block128:
      w.data = randomBytes(rows * cols);
      for (auto& b : w.data)
        if ((b & 0x7F) == 0x7F) b = std::uint8_t(b - 1);  // no NaNs
      w.scales.resize(ceilDiv(rows, 128) * ceilDiv(cols, 128));
      for (auto& s : w.scales) s = std::uint8_t(scale(rng));
      kernels::dequantFp8BlockScalar(w.data.data(), w.scales.data(), rows, cols, w.dense.data());
      break;
    case WeightFormat::Fp4Group32:
      w.data = randomBytes(rows * ceilDiv(cols, 2));
      w.scales.resize(rows * ceilDiv(cols, 32));
      for (auto& s : w.scales) s = std::uint8_t(scale(rng));
      kernels::dequantFp4GroupScalar(w.data.data(), w.scales.data(), rows, cols, w.dense.data());
      break;
  }
  return w;
}

const char* nameOf(WeightFormat f) {
  switch (f) {
    case WeightFormat::F32:
      return "F32";
    case WeightFormat::BF16:
      return "BF16";
    case WeightFormat::Fp8Block128:
      return "FP8";
    case WeightFormat::Fp4Group32:
      return "FP4";
  }
  return "?";
}

class CudaLinear : public CudaOpsTest {
 protected:
  // Runs rows [begin, begin + count) of `w` on `tokens` activations through the CPU and through
  // `gpu`, and checks |gpu - cpu| <= rel * sum_c |W[r, c] x[t, c]| for every output.
  template <typename Gpu>
  void compare(TestWeight& w, std::size_t begin, std::size_t count, const std::vector<float>& x,
               std::size_t tokens, float rel, Gpu gpu, const std::string& what) {
    if (w.deviceData.bytes() == 0) {
      w.deviceData = upload(w.data);
      if (!w.scales.empty()) w.deviceScales = upload(w.scales);
    }
    std::vector<float> want(tokens * count);
    kernels::matmul(kernels::rowsOf(w.host(), begin, count), x.data(), tokens, want.data(),
                    nullptr);
    const DeviceBuffer dx = upload(x);
    const DeviceBuffer dy = ops()->allocate(want.size() * sizeof(float));
    ops()->fill(dy.data(), 0xFF, dy.bytes());  // NaN: any output not written fails
    gpu(w.device(begin, count), dx.as<float>(), tokens, dy.as<float>());
    const auto got = download<float>(dy, want.size());
    int misses = 0;
    for (std::size_t t = 0; t < tokens && misses < 5; ++t)
      for (std::size_t r = 0; r < count && misses < 5; ++r) {
        double magnitude = 0;
        for (std::size_t c = 0; c < w.cols; ++c)
          magnitude += std::fabs(double(w.dense[(begin + r) * w.cols + c]) * x[t * w.cols + c]);
        const float g = got[t * count + r], c = want[t * count + r];
        if (!(std::fabs(double(g) - c) <= rel * magnitude)) {
          ADD_FAILURE() << what << ": token " << t << " row " << r << " is " << g
                        << ", the CPU gives " << c << " (|W||x| = " << magnitude << ")";
          ++misses;
        }
      }
  }
};

struct Shape {
  std::size_t rows, cols;
};
// A model-like projection (hidden 7168 -> 512), and shapes that are no multiple of 128 or 32,
// including an odd cols (FP4's unused last nibble).
constexpr Shape kShapes[] = {{512, 7168}, {300, 1000}, {130, 77}};
constexpr WeightFormat kFormats[] = {WeightFormat::F32, WeightFormat::BF16,
                                     WeightFormat::Fp8Block128, WeightFormat::Fp4Group32};

TEST_F(CudaLinear, DecodePathMatchesCpu) {
  std::mt19937 rng(11);
  for (const Shape s : kShapes)
    for (const WeightFormat f : kFormats) {
      TestWeight w = makeWeight(f, s.rows, s.cols, rng);
      for (std::size_t tokens : {1u, 7u, 16u, 23u}) {
        const auto x = uniform(tokens * s.cols, -2.0f, 2.0f, rng);
        // fp32 products summed in another order: well within 1e-5 of sum |W||x|.
        compare(
            w, 0, s.rows, x, tokens, 1e-5f,
            [&](const DeviceWeight& dw, const float* dx, std::size_t n, float* dy) {
              ops()->linear(dw, dx, n, dy);
            },
            std::string(nameOf(f)) + " " + std::to_string(s.rows) + "x" + std::to_string(s.cols) +
                " tokens=" + std::to_string(tokens));
      }
    }
}

TEST_F(CudaLinear, RowViewsKeepTheirScales) {
  // Rows 100..250 of an FP8 weight: the view starts inside a 128-row scale block.
  std::mt19937 rng(12);
  for (const WeightFormat f : kFormats) {
    TestWeight w = makeWeight(f, 300, 1000, rng);
    const auto x = uniform(7 * 1000, -2.0f, 2.0f, rng);
    compare(
        w, 100, 150, x, 7, 1e-5f,
        [&](const DeviceWeight& dw, const float* dx, std::size_t n, float* dy) {
          ops()->linear(dw, dx, n, dy);
        },
        std::string(nameOf(f)) + " rows 100..250");
  }
}

TEST_F(CudaLinear, GemmPathMatchesCpu) {
  std::mt19937 rng(13);
  for (const Shape s : kShapes)
    for (const WeightFormat f : kFormats) {
      TestWeight w = makeWeight(f, s.rows, s.cols, rng);
      for (std::size_t tokens : {1u, 7u, 64u}) {
        // Activations exact in bf16, as official numerics gives them: then FP8, FP4 and BF16
        // products are exact in the GEMM too, and only the order of the fp32 sums differs
        // (1e-5). F32 weights are rounded to bf16 there: 2^-8 of sum |W||x|.
        auto x = uniform(tokens * s.cols, -2.0f, 2.0f, rng);
        kernels::roundToBf16(x.data(), x.size());
        const float rel = f == WeightFormat::F32 ? 0x1p-8f : 1e-5f;
        compare(
            w, 0, s.rows, x, tokens, rel,
            [&](const DeviceWeight& dw, const float* dx, std::size_t n, float* dy) {
              ops()->linearGemm(dw, dx, n, dy);
            },
            std::string("GEMM ") + nameOf(f) + " " + std::to_string(s.rows) + "x" +
                std::to_string(s.cols) + " tokens=" + std::to_string(tokens));
      }
    }
}

TEST_F(CudaLinear, GemmPathTilesATallWeight) {
  // 9000 rows x 4096 cols of bf16 is 70 MiB: more than one 64 MiB scratch tile.
  std::mt19937 rng(14);
  TestWeight w = makeWeight(WeightFormat::Fp8Block128, 9000, 4096, rng);
  auto x = uniform(5 * 4096, -2.0f, 2.0f, rng);
  kernels::roundToBf16(x.data(), x.size());
  compare(
      w, 0, w.rows, x, 5, 1e-5f,
      [&](const DeviceWeight& dw, const float* dx, std::size_t n, float* dy) {
        ops()->linearGemm(dw, dx, n, dy);
      },
      "GEMM FP8 9000x4096");
}

}  // namespace
}  // namespace flint::engine::testing_cuda
