// The CUDA module is optional at run time: whatever is missing (module, runtime libraries,
// driver, device), the engine says why and computes on the CPU.
#include "engine/backend/compute_backend.h"
#include "tests/engine/scoped_env.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

namespace flint::engine {
namespace {

using testing::ScopedEnv;

void expectCpuFallback(const std::string& reasonPart) {
  const ComputeBackend b = chooseComputeBackend();
  EXPECT_EQ(b.kind, ComputeBackendKind::Cpu);
  EXPECT_EQ(b.description.rfind("CPU (", 0), 0u) << b.description;
  EXPECT_FALSE(b.cuda.usable);
  EXPECT_NE(b.cuda.reason.find(reasonPart), std::string::npos) << b.cuda.reason;
}

TEST(ComputeBackend, MissingModuleFallsBackToCpu) {
  ScopedEnv env("FLINT_CUDA_MODULE", "/nonexistent/libflint_cuda.so");
  expectCpuFallback("not installed");
}

TEST(ComputeBackend, UnloadableFileFallsBackToCpu) {
  const std::string path = ::testing::TempDir() + "/garbage_module.so";
  std::ofstream(path) << "this is not an ELF file";
  ScopedEnv env("FLINT_CUDA_MODULE", path);
  expectCpuFallback("could not be loaded");
}

TEST(ComputeBackend, ForeignLibraryIsRejected) {
  // A real shared library without Flint's entry points.
  ScopedEnv env("FLINT_CUDA_MODULE", "libm.so.6");
  expectCpuFallback("not a Flint module");
}

TEST(ComputeBackend, PreferCpuStaysOnCpu) {
  const ComputeBackend b = chooseComputeBackend(/*preferCpu=*/true);
  EXPECT_EQ(b.kind, ComputeBackendKind::Cpu);
}

#ifdef FLINT_TEST_CUDA_MODULE
TEST(CudaModule, BuiltModuleLoadsAndProbes) {
  std::string why;
  auto module = CudaModule::open(FLINT_TEST_CUDA_MODULE, &why);
  ASSERT_TRUE(module) << why;
  const CudaProbeResult r = module->probe();
  EXPECT_TRUE(r.moduleLoaded);
  EXPECT_GE(r.runtimeVersion, 12000) << "the module reports the CUDA runtime it was built with";
  if (r.usable) {
    ASSERT_FALSE(r.devices.empty());
    EXPECT_FALSE(r.devices.front().name.empty());
    EXPECT_GT(r.devices.front().totalBytes, 0u);
    EXPECT_GT(r.driverVersion, 0);
  } else {
    // No GPU here: a reason in words, no devices, and the engine stays on the CPU.
    EXPECT_TRUE(r.devices.empty());
    EXPECT_FALSE(r.reason.empty());
    ScopedEnv env("FLINT_CUDA_MODULE", FLINT_TEST_CUDA_MODULE);
    expectCpuFallback(r.reason);
  }
}
#else
TEST(CudaModule, BuiltModuleLoadsAndProbes) {
  GTEST_SKIP() << "this build has no CUDA module";
}
#endif

TEST(CudaModule, FormatsVersions) {
  EXPECT_EQ(formatCudaVersion(13000), "13.0");
  EXPECT_EQ(formatCudaVersion(12080), "12.8");
  EXPECT_EQ(formatCudaVersion(0), "");
}

}  // namespace
}  // namespace flint::engine
