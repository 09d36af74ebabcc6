// The workstation plan on V4-Flash-like and V4-Pro-like figures: tiers filled GPU first, then
// RAM, the disk tier only when needed, a speed range that follows the bandwidths, a sentence
// when it cannot run, and the saved plan read back only for its own folder. Also the locator.
#include "app/setup/model_locator.h"
#include "app/setup/workstation_plan.h"
#include "app/system/memory_plan.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <random>

namespace flint::app {
namespace {

namespace fs = std::filesystem;
constexpr std::uint64_t GiB = std::uint64_t(1) << 30;

engine::ModelConfig flashConfig() {
  engine::ModelConfig c;
  c.hiddenSize = 4096;
  c.numHiddenLayers = 43;
  c.nRoutedExperts = 256;
  c.numExpertsPerTok = 6;
  return c;
}

// V4-Flash-like: 43 x 256 experts of ~13.5 MiB (FP4), ~12 GiB of the rest.
engine::ModelCensus flashCensus(std::int64_t drafterStages) {
  engine::ModelCensus c;
  c.expertBytes = 13 * (GiB >> 10) + (GiB >> 11);
  c.routedExpertBytes = c.expertBytes * 43 * 256;
  c.nonExpertBytes = 12 * GiB;
  c.totalBytes = c.routedExpertBytes + c.nonExpertBytes;
  c.kvBytesPerToken = 6880;
  c.drafterStages = drafterStages;
  return c;
}

SystemReport machine(std::uint64_t ramGiB, std::uint64_t gpuGiB) {
  SystemReport r;
  r.memory = {ramGiB * GiB, ramGiB * GiB - GiB};
  if (gpuGiB) {
    r.gpu.usable = true;
    engine::CudaDeviceInfo d;
    d.name = "NVIDIA H200";
    d.totalBytes = gpuGiB * GiB;
    d.freeBytes = gpuGiB * GiB - GiB;
    r.gpu.devices.push_back(d);
  }
  return r;
}

TierBandwidths bandwidths(bool gpu) {
  TierBandwidths b;
  b.host = 50e9;
  b.disk = 3e9;
  if (gpu) b.gpu = 4.8e12;
  return b;
}

TEST(WorkstationPlan, NamesTheVariant) {
  EXPECT_EQ(variantName(flashConfig(), flashCensus(1)), "DeepSeek-V4-Flash");
  EXPECT_EQ(variantName(flashConfig(), flashCensus(3)), "DeepSeek-V4-Flash-DSpark");
  auto pro = flashConfig();
  pro.hiddenSize = 7168, pro.numHiddenLayers = 61, pro.nRoutedExperts = 384;
  EXPECT_EQ(variantName(pro, flashCensus(1)), "DeepSeek-V4-Pro");
  auto tiny = flashConfig();
  tiny.numHiddenLayers = 4, tiny.nRoutedExperts = 16;
  EXPECT_NE(variantName(tiny, flashCensus(3)).find("V4-architecture model (4 layers"),
            std::string::npos);
}

TEST(WorkstationPlan, ASmallMachineWithoutGpuNeedsTheDiskTier) {
  const auto p =
      planWorkstation("/m", flashConfig(), flashCensus(3), machine(64, 0), bandwidths(false));
  ASSERT_TRUE(p.fits) << p.explanation;
  EXPECT_EQ(p.gpuExperts, 0u);
  EXPECT_GT(p.hostExperts, 0u);
  EXPECT_GT(p.diskExperts, 0u);
  EXPECT_EQ(p.hostExperts + p.diskExperts, 43u * 256u);
  EXPECT_LE(p.hostExpertBytes + 12 * GiB, 63 * GiB - memoryMargin({64 * GiB, 63 * GiB}));
  EXPECT_LT(p.tokensPerSecondLow, p.tokensPerSecondHigh);
  EXPECT_NE(p.explanation.find("DeepSeek-V4-Flash-DSpark"), std::string::npos);
  EXPECT_NE(p.explanation.find("stay on disk"), std::string::npos) << p.explanation;
  EXPECT_NE(p.explanation.find("no usable GPU"), std::string::npos) << p.explanation;
}

TEST(WorkstationPlan, AGpuTakesTheSharedWeightsAndTheHottestExperts) {
  const auto cpu =
      planWorkstation("/m", flashConfig(), flashCensus(3), machine(256, 0), bandwidths(false));
  const auto gpu =
      planWorkstation("/m", flashConfig(), flashCensus(3), machine(256, 141), bandwidths(true));
  ASSERT_TRUE(gpu.fits) << gpu.explanation;
  EXPECT_GT(gpu.gpuExperts, 0u);
  EXPECT_LE(gpu.gpuBytes, 140 * GiB);
  EXPECT_EQ(gpu.gpuExperts + gpu.hostExperts + gpu.diskExperts, 43u * 256u);
  EXPECT_EQ(gpu.diskExperts, 0u) << gpu.explanation;  // 141 GiB GPU + 256 GiB RAM hold it all
  EXPECT_NE(gpu.explanation.find("NVIDIA H200"), std::string::npos) << gpu.explanation;
  EXPECT_NE(gpu.explanation.find("no disk tier"), std::string::npos) << gpu.explanation;
  // The GPU's bandwidth serves part of every token, so the plan expects more speed.
  EXPECT_GT(gpu.tokensPerSecondLow, cpu.tokensPerSecondLow);
}

TEST(WorkstationPlan, FasterDisksGiveFasterPlans) {
  auto slow = bandwidths(false), fast = bandwidths(false);
  slow.disk = 0.5e9;
  fast.disk = 6e9;
  const auto a = planWorkstation("/m", flashConfig(), flashCensus(1), machine(64, 0), slow);
  const auto b = planWorkstation("/m", flashConfig(), flashCensus(1), machine(64, 0), fast);
  EXPECT_LT(a.tokensPerSecondHigh, b.tokensPerSecondHigh);
  EXPECT_LT(a.tokensPerSecondLow, b.tokensPerSecondLow);
}

TEST(WorkstationPlan, TooLittleMemoryIsSaidInWords) {
  const auto p =
      planWorkstation("/m", flashConfig(), flashCensus(1), machine(12, 0), bandwidths(false));
  EXPECT_FALSE(p.fits);
  EXPECT_NE(p.explanation.find("less than one token's"), std::string::npos) << p.explanation;
}

TEST(WorkstationPlan, HitRateModelMatchesTheMeasuredPoints) {
  EXPECT_NEAR(expectedHitRate(0.25), 0.534, 0.03);
  EXPECT_NEAR(expectedHitRate(0.5), 0.821, 0.03);
  EXPECT_DOUBLE_EQ(expectedHitRate(1.0), 1.0);
  EXPECT_DOUBLE_EQ(expectedHitRate(0.0), 0.0);
}

TEST(WorkstationPlan, SavedPlanIsReadBackOnlyForItsFolder) {
  const fs::path dir =
      fs::temp_directory_path() / ("flint-plan-" + std::to_string(std::random_device{}()));
  fs::create_directories(dir / "model");
  fs::create_directories(dir / "other");
  const auto p = planWorkstation(dir / "model", flashConfig(), flashCensus(3), machine(64, 0),
                                 bandwidths(false));
  saveWorkstationPlan(p, dir / "cfg" / "workstation.json");
  const auto back = loadWorkstationPlan(dir / "cfg" / "workstation.json", dir / "model");
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->hostExpertBytes, p.hostExpertBytes);
  EXPECT_EQ(back->diskExperts, p.diskExperts);
  EXPECT_EQ(back->explanation, p.explanation);
  EXPECT_FALSE(loadWorkstationPlan(dir / "cfg" / "workstation.json", dir / "other").has_value());
  std::ofstream(dir / "cfg" / "workstation.json", std::ios::trunc) << "{ damaged";
  EXPECT_FALSE(loadWorkstationPlan(dir / "cfg" / "workstation.json", dir / "model").has_value());
  fs::remove_all(dir);
}

TEST(WorkstationPlan, LoadingUsesTheSavedPlanWhenItKeepsExpertsOnDisk) {
  const fs::path dir =
      fs::temp_directory_path() / ("flint-saved-" + std::to_string(std::random_device{}()));
  fs::create_directories(dir / "model");
  ::setenv("XDG_CONFIG_HOME", (dir / "cfg").c_str(), 1);
  const auto census = flashCensus(3);
  const MemoryPlan before = memoryPlanFor(dir / "model", census, 6);
  auto p = planWorkstation(dir / "model", flashConfig(), census, machine(64, 0), bandwidths(false));
  ASSERT_GT(p.diskExperts, 0u);
  p.hostExpertBytes = 7 * GiB;  // a budget no default plan would pick
  saveWorkstationPlan(p, workstationFile());
  const MemoryPlan after = memoryPlanFor(dir / "model", census, 6);
  EXPECT_EQ(after.hostExpertBytes, 7 * GiB);
  EXPECT_FALSE(after.allResident);
  EXPECT_NE(after.explanation.find("saved by setup"), std::string::npos) << after.explanation;
  EXPECT_NE(before.hostExpertBytes, after.hostExpertBytes);
  // Another folder keeps the default.
  fs::create_directories(dir / "other");
  EXPECT_EQ(memoryPlanFor(dir / "other", census, 6).hostExpertBytes, before.hostExpertBytes);
  ::unsetenv("XDG_CONFIG_HOME");
  fs::remove_all(dir);
}

TEST(ModelLocator, FindsV4FoldersInAHuggingFaceCache) {
  const fs::path root =
      fs::temp_directory_path() / ("flint-find-" + std::to_string(std::random_device{}()));
  const fs::path snapshot = root / "models--deepseek-ai--DeepSeek-V4-Flash" / "snapshots" / "abc";
  fs::create_directories(snapshot);
  std::ofstream(snapshot / "config.json") << R"({"model_type": "deepseek_v4"})";
  fs::create_directories(root / "models--other" / "snapshots" / "x");
  std::ofstream(root / "models--other" / "snapshots" / "x" / "config.json")
      << R"({"model_type": "llama"})";
  const auto found = findModelFolders({root, root / "absent"});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0], snapshot);
  fs::remove_all(root);
}

TEST(ModelLocator, SearchesTheHuggingFaceHomeFirst) {
  ::setenv("HF_HOME", "/srv/hf", 1);
  EXPECT_EQ(modelSearchRoots().front(), fs::path("/srv/hf/hub"));
  ::unsetenv("HF_HOME");
}

}  // namespace
}  // namespace flint::app
