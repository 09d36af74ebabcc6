#pragma once
// What the CUDA op tests share: one CudaOps for the whole run (every test skips, saying why,
// when no device is usable), seeded random inputs, host <-> device helpers, CPU loops that ops
// are held to (the host emulation's test uses them too), and the bit for bit comparison.
#include "engine/backend/cuda_ops.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <vector>

namespace flint::engine::testing_cuda {

// The module under test and, when a device is usable, the ops on device 0.
class CudaOpsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
#ifdef FLINT_TEST_CUDA_MODULE
    std::string why;
    auto module = CudaModule::open(FLINT_TEST_CUDA_MODULE, &why);
    if (!module) {
      reason() = why;
      return;
    }
    const CudaProbeResult probe = module->probe();
    if (!probe.usable) {
      reason() = probe.reason;
      return;
    }
    // `module` stays loaded until CudaOps holds the library too, so it is loaded once.
    try {
      ops() = CudaOps::open(FLINT_TEST_CUDA_MODULE);
    } catch (const CudaError& e) {
      reason() = e.what();
      openFailed() = true;  // a usable device that CudaOps cannot open is a failure, not a skip
    }
#else
    reason() = "this build has no CUDA module";
#endif
  }
  static void TearDownTestSuite() {
    ops().reset();
  }

  void SetUp() override {
    if (openFailed()) {
      FAIL() << "the probe saw a usable device, but CudaOps::open failed: " << reason();
    } else if (!ops()) {
      GTEST_SKIP() << "no CUDA device: " << reason();
    }
  }

  static std::unique_ptr<CudaOps>& ops() {
    static std::unique_ptr<CudaOps> instance;
    return instance;
  }
  static bool& openFailed() {
    static bool failed = false;
    return failed;
  }
  static std::string& reason() {
    static std::string text;
    return text;
  }

  template <typename T>
  static DeviceBuffer upload(const std::vector<T>& host) {
    return ops()->upload(std::span<const T>(host));
  }
  template <typename T>
  static std::vector<T> download(const DeviceBuffer& device, std::size_t count) {
    return ops()->template download<T>(device.data(), count);
  }
};

inline std::vector<float> uniform(std::size_t n, float lo, float hi, std::mt19937& rng) {
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

// rows * n inputs for a fake quantization in blocks of `block`: values of many magnitudes,
// spread differently from block to block so the blocks' scales differ.
inline std::vector<float> fakeQuantInput(std::size_t rows, std::size_t n, std::size_t block,
                                         std::mt19937& rng) {
  std::uniform_real_distribution<float> mantissa(-1.0f, 1.0f);
  std::uniform_int_distribution<int> exponent(-30, 12);
  std::vector<float> x(rows * n);
  for (std::size_t i = 0; i < x.size(); ++i)
    x[i] = std::ldexp(mantissa(rng), exponent(rng) / int((i / block) % 3 + 1));
  std::fill_n(x.begin(), block, 0.0f);  // an all-zero block: the amax floor decides
  return x;
}

// dst[t, :] += src[rows[j], :] for j = offsets[t] .. offsets[t + 1] - 1, in that order: the loop
// addRowsByToken is held to.
inline std::vector<float> addRowsByTokenOnCpu(std::vector<float> dst,
                                              const std::vector<std::int32_t>& offsets,
                                              const std::vector<std::int32_t>& rows,
                                              std::size_t width, const std::vector<float>& src) {
  for (std::size_t t = 0; t + 1 < offsets.size(); ++t)
    for (std::int32_t j = offsets[t]; j < offsets[t + 1]; ++j)
      for (std::size_t c = 0; c < width; ++c)
        dst[t * width + c] += src[std::size_t(rows[std::size_t(j)]) * width + c];
  return dst;
}

// Bit for bit (so NaN payloads and signed zeros count too), reporting the first few misses.
inline void expectBitwise(const std::vector<float>& got, const std::vector<float>& want,
                          const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  int misses = 0;
  for (std::size_t i = 0; i < got.size() && misses < 5; ++i)
    if (std::bit_cast<std::uint32_t>(got[i]) != std::bit_cast<std::uint32_t>(want[i])) {
      ADD_FAILURE() << what << ": element " << i << " is " << got[i] << ", the CPU gives "
                    << want[i];
      ++misses;
    }
}

}  // namespace flint::engine::testing_cuda
