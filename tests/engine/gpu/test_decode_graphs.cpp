// Decode steps replay each layer's attention half as a recorded graph. On the host emulation a
// replay reads the step's position and cache from device memory just as the GPU would, so a
// value baked in at recording (a position, a count, a ring slot) shows as a differing bit.
#include "engine/backend/cuda_ops.h"
#include "engine/gpu/cuda_transformer.h"
#include "engine/model/model_files.h"
#include "engine/model/transformer.h"
#include "tests/engine/gpu/backbone_test_support.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

namespace flint::engine {
namespace {

using testing::cudaBackbone;
using testing::decodeOnGpu;
using testing::modelDir;
using testing::randomIds;

std::vector<float> decodeOnCpu(Transformer& cpu, std::span<const std::int32_t> ids,
                               Numerics numerics) {
  SessionCache cache = cpu.newCache();
  std::vector<float> all, step;
  for (std::size_t t = 0; t < ids.size(); ++t) {
    cpu.forward(ids.subspan(t, 1), cache, numerics, false, step);
    all.insert(all.end(), step.begin(), step.end());
  }
  return all;
}

bool sameBits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

TEST(DecodeGraphs, ReplaysEqualTheOpByOpStepsAndTheCpu) {
  auto ops = CudaOps::open(FLINT_TEST_HOST_OPS_MODULE);
  Transformer cpu(openModelFiles(modelDir("fixture-small")), nullptr);
  ResidentExpertStore below(cpu.weights());
  auto backbone = cudaBackbone(*ops, cpu, below);
  CudaTransformer& gpu = *backbone;

  // Past the window (16) and two HCA entries' worth of CSA entries; 130 crosses ratio 128.
  const auto ids = randomIds(130, cpu.config().vocabSize, 21);
  for (Numerics numerics : {Numerics::Official, Numerics::Fp32}) {
    const std::size_t before = gpu.graphLaunches();
    const auto replayed = decodeOnGpu(gpu, ids, numerics);
    EXPECT_EQ(gpu.graphLaunches() - before, ids.size() * cpu.weights().layers.size());
    gpu.setDecodeGraphs(false);
    const auto stepwise = decodeOnGpu(gpu, ids, numerics);
    gpu.setDecodeGraphs(true);
    EXPECT_TRUE(sameBits(replayed, stepwise));
    EXPECT_TRUE(sameBits(replayed, decodeOnCpu(cpu, ids, numerics)));
  }
}

}  // namespace
}  // namespace flint::engine
