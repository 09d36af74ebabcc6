// The default memory plan: everything in RAM when it fits beside the margin, else as many
// routed experts as fit with the rest on disk, else a sentence saying it cannot run.
#include "app/system/memory_plan.h"

#include <gtest/gtest.h>

namespace flint::app {
namespace {

constexpr std::uint64_t GiB = std::uint64_t(1) << 30;

engine::ModelCensus census(std::uint64_t nonExpert, std::uint64_t experts, std::uint64_t one) {
  engine::ModelCensus c;
  c.nonExpertBytes = nonExpert;
  c.routedExpertBytes = experts;
  c.expertBytes = one;
  c.totalBytes = nonExpert + experts;
  return c;
}

TEST(MemoryPlan, EverythingInRamWhenItFits) {
  const MemoryPlan p = planMemory(census(2 * GiB, 10 * GiB, GiB / 100), 6, {64 * GiB, 60 * GiB});
  EXPECT_TRUE(p.allResident);
  EXPECT_TRUE(p.fits);
  EXPECT_EQ(p.usableBytes, 60 * GiB - 64 * GiB / 10);
  EXPECT_NE(p.explanation.find("fits in RAM"), std::string::npos) << p.explanation;
}

TEST(MemoryPlan, ExpertsThatDoNotFitGoToDisk) {
  // V4-Flash-like: 160 GiB, mostly experts, on a 128 GiB machine with 120 GiB available.
  const MemoryPlan p =
      planMemory(census(10 * GiB, 150 * GiB, 13 * (GiB >> 10)), 6, {128 * GiB, 120 * GiB});
  EXPECT_FALSE(p.allResident);
  EXPECT_TRUE(p.fits);
  const std::uint64_t usable = 120 * GiB - memoryMargin({128 * GiB, 120 * GiB});
  EXPECT_EQ(p.hostExpertBytes, usable - 10 * GiB);
  EXPECT_NE(p.explanation.find("read from the checkpoint"), std::string::npos) << p.explanation;
}

TEST(MemoryPlan, TooLittleRamIsSaidInWords) {
  const MemoryPlan p = planMemory(census(10 * GiB, 150 * GiB, GiB), 6, {16 * GiB, 12 * GiB});
  EXPECT_FALSE(p.fits);
  EXPECT_NE(p.explanation.find("use a smaller model"), std::string::npos) << p.explanation;
}

TEST(MemoryPlan, TheMarginIsATenthOrTwoGiB) {
  EXPECT_EQ(memoryMargin({8 * GiB, 4 * GiB}), 2 * GiB);
  EXPECT_EQ(memoryMargin({256 * GiB, 200 * GiB}), 256 * GiB / 10);
}

}  // namespace
}  // namespace flint::app
