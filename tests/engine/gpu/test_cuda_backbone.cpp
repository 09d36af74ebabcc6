// The CUDA backbone composed of CudaOps, run on the host emulation of the CUDA module (every op
// on the CPU with the CPU forward pass's own float operations). It must then equal the CPU
// Transformer bit for bit: any difference is a composition error (a missing rounding, a wrong
// offset, a cache row written too early), not kernel rounding. The same checks against a real
// GPU, with bounds instead of equality, are tests/gpu/run.sh's.
#include "engine/engine.h"
#include "engine/model/model_error.h"
#include "tests/engine/gpu/backbone_test_support.h"
#include "tests/engine/scoped_env.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

namespace flint::engine {
namespace {

using testing::backboneOptions;
using Case = testing::BackboneCase;
using testing::greedyReply;
using testing::modelDir;
using testing::randomIds;
using testing::ScopedEnv;

// Equal as bits, and where not, the first difference in words.
::testing::AssertionResult sameBits(const std::vector<float>& cpu, const std::vector<float>& gpu) {
  if (cpu.size() != gpu.size())
    return ::testing::AssertionFailure()
           << "sizes differ: " << cpu.size() << " on the CPU, " << gpu.size() << " on the GPU";
  for (std::size_t i = 0; i < cpu.size(); ++i)
    if (std::memcmp(&cpu[i], &gpu[i], sizeof(float)) != 0)
      return ::testing::AssertionFailure() << "value " << i << " differs: " << cpu[i]
                                           << " on the CPU, " << gpu[i] << " on the GPU";
  return ::testing::AssertionSuccess();
}

class CudaBackbone : public ::testing::Test {
 protected:
  ScopedEnv module_{"FLINT_CUDA_MODULE", FLINT_TEST_HOST_OPS_MODULE};
};

class CudaBackboneParity : public CudaBackbone, public ::testing::WithParamInterface<Case> {};

// A prompt long enough to fill the window, emit HCA entries (ratio 128) and run in two passes
// (256 tokens each at most), then token-by-token decoding.
TEST_P(CudaBackboneParity, LogitsEqualTheCpuBitForBit) {
  const Case c = GetParam();
  auto cpu = Engine::load(modelDir(c.checkpoint), backboneOptions(ComputeDevice::Cpu, c.numerics));
  auto gpu = Engine::load(modelDir(c.checkpoint), backboneOptions(ComputeDevice::Cuda, c.numerics));
  ASSERT_TRUE(gpu->deviceMemoryPlan().has_value());
  EXPECT_NE(gpu->computeDescription().find("CUDA: Host emulation"), std::string::npos)
      << gpu->computeDescription();

  const auto prompt = randomIds(300, cpu->config().vocabSize, 7);
  EXPECT_TRUE(
      sameBits(cpu->logits(prompt, c.numerics, false), gpu->logits(prompt, c.numerics, false)));
  const auto decode = std::span(prompt).first(40);
  EXPECT_TRUE(
      sameBits(cpu->logits(decode, c.numerics, true), gpu->logits(decode, c.numerics, true)));
}

INSTANTIATE_TEST_SUITE_P(Checkpoints, CudaBackboneParity,
                         ::testing::Values(Case{"fixture-tiny", Numerics::Official},
                                           Case{"fixture-tiny", Numerics::Fp32},
                                           Case{"fixture-small", Numerics::Official},
                                           Case{"flint-tiny", Numerics::Official},
                                           Case{"flint-tiny", Numerics::Fp32}),
                         [](const auto& param) {
                           std::string name =
                               param.param.checkpoint + "_" +
                               (param.param.numerics == Numerics::Fp32 ? "fp32" : "official");
                           for (char& ch : name)
                             if (ch == '-') ch = '_';
                           return name;
                         });

// However many experts the device holds, the CPU computes the others to the same bits; with a
// partial budget the slots fill as the model runs.
TEST_F(CudaBackbone, ExpertsOnTheCpuOrTheDeviceGiveTheSameLogits) {
  auto cpu = Engine::load(modelDir("fixture-small"),
                          backboneOptions(ComputeDevice::Cpu, Numerics::Official));
  const auto ids = randomIds(48, cpu->config().vocabSize, 3);
  const auto expected = cpu->logits(ids, Numerics::Official, true);
  for (double fraction : {1e-9, 0.3, 1.0}) {
    LoadOptions o = backboneOptions(ComputeDevice::Cuda, Numerics::Official);
    o.deviceExpertFraction = fraction;
    auto gpu = Engine::load(modelDir("fixture-small"), o);
    const DeviceMemoryPlan plan = *gpu->deviceMemoryPlan();
    if (fraction < 1e-6)
      EXPECT_EQ(plan.deviceExperts, 0u);
    else if (fraction < 1)
      EXPECT_LT(plan.deviceExperts, plan.routedExperts);
    else
      EXPECT_EQ(plan.deviceExperts, plan.routedExperts);
    EXPECT_TRUE(sameBits(expected, gpu->logits(ids, Numerics::Official, true)))
        << "device expert share " << fraction;
    // The statistics say where the experts ran: slots fill from use when they start empty.
    const ExpertStats stats = *gpu->expertStats();
    const ExpertResidency residency = *gpu->expertResidency();
    const auto resident = std::size_t(
        std::count(residency.onDevice.begin(), residency.onDevice.end(), std::uint8_t(1)));
    EXPECT_LE(resident, plan.deviceExperts);
    if (plan.deviceExperts == 0) {
      EXPECT_EQ(stats.deviceHits, 0u);
      EXPECT_GT(stats.mappedUses, 0u);
    } else {
      EXPECT_GT(stats.devicePromotions, 0u);
      EXPECT_GT(stats.deviceHits, 0u);
      EXPECT_EQ(stats.bytesToDevice, stats.devicePromotions * plan.expertBytes);
      EXPECT_GT(resident, 0u);
    }
  }
}

// Greedy replies token for token, plain and speculative: the verify pass and its rollback run
// on the device cache.
TEST_F(CudaBackbone, GreedyRepliesMatchWithAndWithoutSpeculation) {
  const std::string kQuestion = "Count the letters in hello, please.";
  auto cpu = Engine::load(modelDir("small_dspark"),
                          backboneOptions(ComputeDevice::Cpu, Numerics::Official));
  auto gpu = Engine::load(modelDir("small_dspark"),
                          backboneOptions(ComputeDevice::Cuda, Numerics::Official));
  const GenerateResult plain = greedyReply(*cpu, kQuestion, 0, 40);
  ASSERT_FALSE(plain.tokens.empty());
  EXPECT_EQ(greedyReply(*gpu, kQuestion, 0, 40).tokens, plain.tokens);
  const GenerateResult cpuSpec = greedyReply(*cpu, kQuestion, 4, 40);
  const GenerateResult gpuSpec = greedyReply(*gpu, kQuestion, 4, 40);
  EXPECT_EQ(cpuSpec.tokens, plain.tokens);
  EXPECT_EQ(gpuSpec.tokens, plain.tokens);
  EXPECT_GT(gpuSpec.stats.spec.draftTokens, 0u);
  EXPECT_EQ(gpuSpec.stats.spec.acceptedTokens, cpuSpec.stats.spec.acceptedTokens);
}

// A session saved from the GPU's cache continues on the CPU exactly, and back.
TEST_F(CudaBackbone, SessionsMoveBetweenTheGpuAndTheCpu) {
  auto cpu = Engine::load(modelDir("fixture-small"),
                          backboneOptions(ComputeDevice::Cpu, Numerics::Official));
  auto gpu = Engine::load(modelDir("fixture-small"),
                          backboneOptions(ComputeDevice::Cuda, Numerics::Official));
  const auto ids = randomIds(70, cpu->config().vocabSize, 11);
  const auto head = std::span(ids).first(60), tail = std::span(ids).subspan(60);

  auto straight = cpu->newSession();
  straight->feed(head);
  const auto want = straight->feed(tail);
  const std::vector<float> wanted(want.begin(), want.end());

  const std::filesystem::path file =
      std::filesystem::temp_directory_path() / ("flint-gpu-session-" + std::to_string(::getpid()));
  auto onGpu = gpu->newSession();
  onGpu->feed(head);
  onGpu->save(file);
  auto onCpu = cpu->newSession();
  onCpu->load(file);
  const auto gotCpu = onCpu->feed(tail);
  EXPECT_TRUE(sameBits(wanted, std::vector<float>(gotCpu.begin(), gotCpu.end())));

  auto back = gpu->newSession();
  back->load(file);
  const auto gotGpu = back->feed(tail);
  EXPECT_TRUE(sameBits(wanted, std::vector<float>(gotGpu.begin(), gotGpu.end())));
  EXPECT_EQ(back->kvBytes(), onCpu->kvBytes());
  std::filesystem::remove(file);
}

TEST_F(CudaBackbone, APromptBeyondTheGpuCacheIsRefusedBeforeAnyPass) {
  LoadOptions o = backboneOptions(ComputeDevice::Cuda, Numerics::Official);
  o.deviceContextTokens = 64;
  auto gpu = Engine::load(modelDir("fixture-tiny"), o);
  EXPECT_EQ(gpu->deviceMemoryPlan()->contextTokens, 64u);
  auto session = gpu->newSession();
  const auto ids = randomIds(100, gpu->config().vocabSize, 5);
  try {
    session->prefill(ids);
    FAIL() << "a 100-token prefill fit a 64-token cache";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("64"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(session->cachedIds().empty());
}

// A device that fills up after the load: the session that does not fit fails with the
// module's sentence, and the engine goes on serving the sessions that do.
TEST_F(CudaBackbone, ASessionTheDeviceCannotHoldFailsInOneSentence) {
  auto gpu = Engine::load(modelDir("fixture-tiny"),
                          backboneOptions(ComputeDevice::Cuda, Numerics::Official));
  const auto ids = randomIds(20, gpu->config().vocabSize, 9);
  {
    ScopedEnv full("FLINT_HOST_OPS_DEVICE_BYTES", "1");
    try {
      gpu->newSession();
      FAIL() << "a session fit a full device";
    } catch (const std::exception& e) {
      EXPECT_NE(std::string(e.what()).find("could not allocate"), std::string::npos) << e.what();
    }
  }
  auto session = gpu->newSession();
  const auto logits = session->feed(ids);
  EXPECT_EQ(logits.size(), std::size_t(gpu->config().vocabSize));
}

class NoUsableGpu : public ::testing::Test {};

TEST_F(NoUsableGpu, AutoStaysOnTheCpuAndCudaSaysWhy) {
  ScopedEnv module("FLINT_CUDA_MODULE", "/nonexistent/libflint_cuda.so");
  auto engine = Engine::load(modelDir("fixture-tiny"),
                             backboneOptions(ComputeDevice::Auto, Numerics::Official));
  EXPECT_EQ(engine->computeDescription().rfind("CPU (", 0), 0u) << engine->computeDescription();
  EXPECT_FALSE(engine->deviceMemoryPlan().has_value());
  try {
    Engine::load(modelDir("fixture-tiny"),
                 backboneOptions(ComputeDevice::Cuda, Numerics::Official));
    FAIL() << "--device cuda loaded without a module";
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot run on the GPU"), std::string::npos) << e.what();
  }
}

TEST_F(NoUsableGpu, ADeviceTooSmallForTheWeightsIsRefusedWithThePlan) {
  ScopedEnv module("FLINT_CUDA_MODULE", FLINT_TEST_HOST_OPS_MODULE);
  ScopedEnv bytes("FLINT_HOST_OPS_DEVICE_BYTES", std::to_string(1u << 20));
  try {
    Engine::load(modelDir("fixture-small"),
                 backboneOptions(ComputeDevice::Cuda, Numerics::Official));
    FAIL() << "the weights fit 1 MiB";
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("to spare"), std::string::npos) << e.what();
  }
  auto engine = Engine::load(modelDir("fixture-small"),
                             backboneOptions(ComputeDevice::Auto, Numerics::Official));
  EXPECT_EQ(engine->computeDescription().rfind("CPU (", 0), 0u);
}

}  // namespace
}  // namespace flint::engine
