// The CUDA backbone on a real GPU against the CPU (tests/gpu/run.sh runs it in one lease; every
// test skips, saying why, without a usable device). Unlike the host emulation's bit-exact test,
// kernels round differently here, so logits are held to bounds; each test prints what it
// measured, for docs/BENCHMARKS.md.
#include "engine/backend/cuda_module.h"
#include "engine/engine.h"
#include "engine/model/model_files.h"
#include "engine/model/transformer.h"
#include "tests/engine/gpu/backbone_test_support.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
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

// fp32 numerics: the CPU and the GPU sum in different orders, ~1e-6 relative per product; the
// golden test holds the CPU to 1e-5 of PyTorch, so 1e-4 leaves room for the longer sums of a
// 300-token pass while a wrong op (a missed norm, a dropped rounding) moves logits by 1e-2 and
// more.
constexpr double kFp32RelativeL2 = 1e-4;
// Official numerics round to FP8 and bf16 at every step: a last-bit difference flips a rounding,
// an expert or an indexer choice on these random checkpoints. The bounds are the golden test's
// for two implementations of the same math (tests/engine/model/test_forward_golden.cpp).
constexpr double kOfficialRelativeL2 = 0.6;
constexpr double kOfficialArgmaxAgreement = 0.45;

// FLINT_TEST_GPU_MODULE runs these tests on another module (the host emulation, to try the
// script without a GPU).
std::string usableGpu() {
  if (const char* other = std::getenv("FLINT_TEST_GPU_MODULE"); other && *other) {
    ::setenv("FLINT_CUDA_MODULE", other, 1);
    const CudaProbeResult probe = probeCuda();
    return probe.usable ? std::string() : probe.reason;
  }
#ifdef FLINT_TEST_CUDA_MODULE
  ::setenv("FLINT_CUDA_MODULE", FLINT_TEST_CUDA_MODULE, 1);
  const CudaProbeResult probe = probeCuda();
  return probe.usable ? std::string() : probe.reason;
#else
  return "this build has no CUDA module";
#endif
}

struct Agreement {
  double worstRelativeL2 = 0, maxAbs = 0, argmaxAgreement = 0;
};

Agreement compare(const std::vector<float>& cpu, const std::vector<float>& gpu, std::size_t vocab) {
  Agreement a;
  const std::size_t rows = cpu.size() / vocab;
  std::size_t same = 0;
  for (std::size_t r = 0; r < rows; ++r) {
    double diff = 0, norm = 0;
    std::size_t cpuBest = 0, gpuBest = 0;
    for (std::size_t v = 0; v < vocab; ++v) {
      const double c = cpu[r * vocab + v], g = gpu[r * vocab + v];
      diff += (c - g) * (c - g);
      norm += c * c;
      a.maxAbs = std::max(a.maxAbs, std::abs(c - g));
      if (c > cpu[r * vocab + cpuBest]) cpuBest = v;
      if (g > gpu[r * vocab + gpuBest]) gpuBest = v;
    }
    a.worstRelativeL2 = std::max(a.worstRelativeL2, std::sqrt(diff / std::max(norm, 1e-30)));
    same += cpuBest == gpuBest;
  }
  a.argmaxAgreement = rows ? double(same) / double(rows) : 1;
  return a;
}

class GpuParity : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const std::string why = usableGpu(); !why.empty())
      GTEST_SKIP() << "no CUDA device: " << why;
  }
};

class GpuLogits : public GpuParity, public ::testing::WithParamInterface<Case> {};

TEST_P(GpuLogits, StayWithinTheStatedBoundsOfTheCpu) {
  const Case c = GetParam();
  auto cpu = Engine::load(modelDir(c.checkpoint), backboneOptions(ComputeDevice::Cpu, c.numerics));
  auto gpu = Engine::load(modelDir(c.checkpoint), backboneOptions(ComputeDevice::Cuda, c.numerics));
  const std::size_t vocab = std::size_t(cpu->config().vocabSize);
  const auto prompt = randomIds(300, cpu->config().vocabSize, 7);
  for (bool decode : {false, true}) {
    const auto ids = decode ? std::span(prompt).first(40) : std::span(prompt);
    const Agreement a =
        compare(cpu->logits(ids, c.numerics, decode), gpu->logits(ids, c.numerics, decode), vocab);
    std::printf("parity %s %s %s: worst relative L2 %.3g, max |diff| %.3g, argmax agreement %.3f\n",
                c.checkpoint.c_str(), c.numerics == Numerics::Fp32 ? "fp32" : "official",
                decode ? "decode" : "prefill", a.worstRelativeL2, a.maxAbs, a.argmaxAgreement);
    if (c.numerics == Numerics::Fp32) {
      EXPECT_LT(a.worstRelativeL2, kFp32RelativeL2);
    } else {
      EXPECT_LT(a.worstRelativeL2, kOfficialRelativeL2);
      EXPECT_GE(a.argmaxAgreement, kOfficialArgmaxAgreement);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Checkpoints, GpuLogits,
                         ::testing::Values(Case{"fixture-tiny", Numerics::Fp32},
                                           Case{"fixture-tiny", Numerics::Official},
                                           Case{"fixture-small", Numerics::Fp32},
                                           Case{"fixture-small", Numerics::Official},
                                           Case{"flint-tiny", Numerics::Fp32},
                                           Case{"flint-tiny", Numerics::Official}));

// flint-tiny is trained: its greedy choices are not near-ties, so fp32 kernels that differ in
// the last bits must still pick the same tokens.
TEST_F(GpuParity, FlintTinyGreedyTokensAreTheCpus) {
  auto cpu =
      Engine::load(modelDir("flint-tiny"), backboneOptions(ComputeDevice::Cpu, Numerics::Fp32));
  auto gpu =
      Engine::load(modelDir("flint-tiny"), backboneOptions(ComputeDevice::Cuda, Numerics::Fp32));
  const GenerateResult want = greedyReply(*cpu, "What is 47+38?", 0, 48),
                       got = greedyReply(*gpu, "What is 47+38?", 0, 48);
  ASSERT_FALSE(want.tokens.empty());
  EXPECT_EQ(got.tokens, want.tokens);
}

// Lossless on the GPU itself: the verify pass (several tokens) must give the logits one-token
// decoding gives, so speculation changes no greedy token.
TEST_F(GpuParity, SpeculationIsLosslessOnTheGpu) {
  for (Numerics numerics : {Numerics::Fp32, Numerics::Official}) {
    auto gpu =
        Engine::load(modelDir("small_dspark"), backboneOptions(ComputeDevice::Cuda, numerics));
    const GenerateResult plain = greedyReply(*gpu, "What is 47+38?", 0, 48),
                         spec = greedyReply(*gpu, "What is 47+38?", 4, 48);
    EXPECT_EQ(spec.tokens, plain.tokens);
    EXPECT_GT(spec.stats.spec.draftTokens, 0u);
    std::printf("speculation on the GPU (%s): %zu drafts, %zu accepted\n",
                numerics == Numerics::Fp32 ? "fp32" : "official", spec.stats.spec.draftTokens,
                spec.stats.spec.acceptedTokens);
  }
}

// Replaying a decode step's recorded graphs runs the same kernels on the same memory as
// launching them one by one: the two must agree to the bit on the device too.
TEST_F(GpuParity, DecodeGraphsReplayTheOpByOpStepsBitForBit) {
  auto ops = CudaOps::create(0);
  Transformer cpu(openModelFiles(modelDir("fixture-small")), nullptr);
  ResidentExpertStore below(cpu.weights());
  auto gpu = testing::cudaBackbone(*ops, cpu, below);
  const auto ids = randomIds(130, cpu.config().vocabSize, 21);
  for (Numerics numerics : {Numerics::Official, Numerics::Fp32}) {
    const std::size_t before = gpu->graphLaunches();
    const auto replayed = testing::decodeOnGpu(*gpu, ids, numerics);
    EXPECT_EQ(gpu->graphLaunches() - before, ids.size() * cpu.weights().layers.size());
    gpu->setDecodeGraphs(false);
    const auto stepwise = testing::decodeOnGpu(*gpu, ids, numerics);
    gpu->setDecodeGraphs(true);
    ASSERT_EQ(replayed.size(), stepwise.size());
    EXPECT_EQ(std::memcmp(replayed.data(), stepwise.data(), replayed.size() * sizeof(float)), 0);
  }
}

}  // namespace
}  // namespace flint::engine
