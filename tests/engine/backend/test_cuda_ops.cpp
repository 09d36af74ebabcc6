// The CUDA op library's C++ face: opening the module (which runs on any machine: version
// check, missing entry points, no device), then memory, streams and error sentences on a
// device (skipped without one).
#include "tests/engine/backend/cuda_test_support.h"

#include <cstring>
#include <numeric>

namespace flint::engine::testing_cuda {
namespace {

// Runs `open` and returns the CudaError's sentence, or "" when nothing was thrown.
template <typename Fn>
std::string errorOf(Fn open) {
  try {
    open();
  } catch (const CudaError& e) {
    return e.what();
  }
  return "";
}

TEST(CudaOpsModule, OldInterfaceVersionIsRefused) {
  const std::string error = errorOf([] { CudaOps::open(FLINT_TEST_FAKE_MODULE_OLD); });
  EXPECT_NE(error.find("speaks interface version 1, this build needs " +
                       std::to_string(FLINT_CUDA_ABI_VERSION)),
            std::string::npos)
      << error;
  EXPECT_EQ(error.back(), '.') << "a sentence: " << error;
}

TEST(CudaOpsModule, MissingEntryPointIsNamedInASentence) {
  // The fake speaks the current version and reports a device, but has none of the ops.
  const std::string error = errorOf([] { CudaOps::open(FLINT_TEST_FAKE_MODULE_CURRENT); });
  EXPECT_EQ(error.rfind("The CUDA backend at ", 0), 0u) << error;
  EXPECT_NE(error.find("lacks the entry point flint_cuda_last_error"), std::string::npos) << error;
  EXPECT_EQ(error.back(), '.') << error;
}

TEST(CudaOpsModule, MissingFileIsReported) {
  const std::string error = errorOf([] { CudaOps::open("/nonexistent/libflint_cuda.so"); });
  EXPECT_NE(error.find("could not be loaded"), std::string::npos) << error;
}

#ifdef FLINT_TEST_CUDA_MODULE
TEST(CudaOpsModule, WithoutADeviceOpeningFailsWithTheProbesSentence) {
  std::string why;
  auto module = CudaModule::open(FLINT_TEST_CUDA_MODULE, &why);
  ASSERT_TRUE(module) << why;
  const CudaProbeResult probe = module->probe();
  if (probe.usable) {
    const auto ops = CudaOps::open(FLINT_TEST_CUDA_MODULE);
    EXPECT_TRUE(ops->probe().usable);
    EXPECT_EQ(ops->ordinal(), 0);
    const std::string error = errorOf([] { CudaOps::open(FLINT_TEST_CUDA_MODULE, 1000); });
    EXPECT_NE(error.find("There is no CUDA device 1000"), std::string::npos) << error;
  } else {
    const std::string error = errorOf([] { CudaOps::open(FLINT_TEST_CUDA_MODULE); });
    ASSERT_FALSE(probe.reason.empty());
    EXPECT_NE(error.find(probe.reason), std::string::npos) << error;
    EXPECT_EQ(error.back(), '.') << error;
  }
}
#endif

// ---- on a device ----

using CudaMemory = CudaOpsTest;

TEST_F(CudaMemory, CopiesRoundTrip) {
  std::vector<float> host(1000);
  std::iota(host.begin(), host.end(), -500.0f);
  const DeviceBuffer device = upload(host);
  EXPECT_EQ(device.bytes(), host.size() * sizeof(float));
  EXPECT_EQ(download<float>(device, host.size()), host);

  ops()->fill(device.data(), 0, device.bytes());
  EXPECT_EQ(download<float>(device, host.size()), std::vector<float>(host.size(), 0.0f));
}

TEST_F(CudaMemory, AsyncCopiesThroughPinnedMemoryOnAStream) {
  const std::size_t n = 1 << 20;
  PinnedBuffer in = ops()->allocatePinned(n * sizeof(float));
  PinnedBuffer out = ops()->allocatePinned(n * sizeof(float));
  for (std::size_t i = 0; i < n; ++i) in.as<float>()[i] = float(i % 977) - 300.0f;
  std::memset(out.data(), 0xFF, out.bytes());
  const DeviceBuffer device = ops()->allocate(n * sizeof(float));
  const CudaStream stream = ops()->createStream();
  ops()->copyToDeviceAsync(device.data(), in.data(), in.bytes(), stream);
  ops()->copyToHostAsync(out.data(), device.data(), out.bytes(), stream);
  ops()->synchronize(&stream);
  EXPECT_TRUE(ops()->finished(stream));
  EXPECT_EQ(std::memcmp(in.data(), out.data(), in.bytes()), 0);
}

TEST_F(CudaMemory, BuffersMoveAndFreeOnce) {
  DeviceBuffer a = ops()->allocate(256);
  void* p = a.data();
  DeviceBuffer b = std::move(a);
  EXPECT_EQ(b.data(), p);
  EXPECT_EQ(a.data(), nullptr);  // a moved-from buffer is empty and frees nothing
  b = ops()->allocate(512);      // frees the first allocation
  EXPECT_EQ(b.bytes(), 512u);
}

TEST_F(CudaMemory, ImpossibleAllocationThrowsASentence) {
  const std::string error = errorOf([] { ops()->allocate(std::size_t(1) << 52); });
  EXPECT_NE(error.find("CUDA could not allocate"), std::string::npos) << error;
  EXPECT_EQ(error.back(), '.') << error;
  // The context is still good afterwards, and the next op does not report the failure again.
  const DeviceBuffer x = upload(std::vector<float>{1.0f + 0x1p-10f});
  ops()->roundToBf16(x.as<float>(), 1);
  EXPECT_EQ(download<float>(x, 1), std::vector<float>{1.0f});
}

TEST_F(CudaMemory, BadArgumentsThrowSentences) {
  const DeviceBuffer x = upload(std::vector<float>(100, 1.0f));
  std::string error = errorOf([&] { ops()->hadamard(x.as<float>(), 1, 100); });
  EXPECT_NE(error.find("power of two"), std::string::npos) << error;
  error = errorOf([&] { ops()->topK(x.as<float>(), 1, 100, 4096, nullptr); });
  EXPECT_NE(error.find("at most 2048"), std::string::npos) << error;
  const DeviceWeight missingScales{
      kernels::WeightFormat::Fp8Block128, x.data(), nullptr, 10, 10, 0};
  error = errorOf([&] { ops()->linear(missingScales, x.as<float>(), 1, x.as<float>()); });
  EXPECT_NE(error.find("without its scales"), std::string::npos) << error;
}

}  // namespace
}  // namespace flint::engine::testing_cuda
