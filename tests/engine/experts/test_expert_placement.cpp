// The placement rule: a batch moves its expert to the device exactly when the transfer plus the
// device's compute beats the host's compute; a device no faster than the host never gets one,
// a free link gets every batch. The simulated link takes its modelled time, one transfer after
// another.
#include "engine/experts/expert_placement.h"
#include "engine/experts/simulated_link.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace flint::engine {
namespace {

double hostSeconds(double perToken, std::size_t tokens) {
  return perToken * double(tokens);
}
double deviceSeconds(const ExpertPlacement& p, std::size_t tokens) {
  return p.transferSeconds() + p.hostSecondsPerToken() * double(tokens) / p.deviceSpeedup();
}

TEST(ExpertPlacement, MovesFromTheBatchWhereTransferPlusDeviceComputeIsFaster) {
  // 10 us per token here, 100 us to move, 10x faster there: 100 / 9 = 11.1 tokens break even.
  const ExpertPlacement p(10e-6, 100e-6, 10);
  EXPECT_EQ(p.threshold(), 12u);
  EXPECT_FALSE(p.moveToDevice(1));
  EXPECT_FALSE(p.moveToDevice(11));
  EXPECT_TRUE(p.moveToDevice(12));
  EXPECT_TRUE(p.moveToDevice(4096));
}

TEST(ExpertPlacement, TheThresholdIsTheBreakEvenBatchOverAGridOfMachines) {
  for (double host : {1e-7, 3e-6, 2e-5})
    for (double transfer : {1e-7, 5e-6, 1e-4, 3e-3})
      for (double speedup : {1.5, 4.0, 30.0}) {
        const ExpertPlacement p(host, transfer, speedup);
        const std::size_t n = p.threshold();
        ASSERT_GE(n, 1u);
        EXPECT_LT(deviceSeconds(p, n), hostSeconds(host, n))
            << host << " " << transfer << " " << speedup;
        if (n > 1) {
          EXPECT_GE(deviceSeconds(p, n - 1), hostSeconds(host, n - 1) * (1 - 1e-12));
        }
      }
}

TEST(ExpertPlacement, ADeviceNoFasterNeverGetsABatchAndAFreeLinkGetsEvery) {
  EXPECT_EQ(ExpertPlacement(10e-6, 1e-6, 1.0).threshold(), SIZE_MAX);
  EXPECT_EQ(ExpertPlacement(10e-6, 1e-6, 0.5).threshold(), SIZE_MAX);
  EXPECT_FALSE(ExpertPlacement(10e-6, 1e-6, 1.0).moveToDevice(1'000'000));
  EXPECT_EQ(ExpertPlacement(10e-6, 0, 2).threshold(), 1u);
  EXPECT_EQ(ExpertPlacement().threshold(), SIZE_MAX);
}

TEST(SimulatedLink, TransfersTakeTheirModelledTimeOneAfterAnother) {
  SimulatedLink link(100e6);  // 100 MB/s: 1 MB is 10 ms
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  EXPECT_DOUBLE_EQ(link.move(1'000'000), 0.01);
  const double one = std::chrono::duration<double>(Clock::now() - start).count();
  EXPECT_GE(one, 0.01);
  // Two threads at once share the link: together they take at least both transfers' time.
  const auto both = Clock::now();
  std::thread other([&] { link.move(500'000); });
  link.move(500'000);
  other.join();
  EXPECT_GE(std::chrono::duration<double>(Clock::now() - both).count(), 0.01);
  // Short transfers are waited out too (spinning), not rounded to a scheduler tick.
  const auto small = Clock::now();
  for (int i = 0; i < 100; ++i) link.move(1000);  // 10 us each
  EXPECT_GE(std::chrono::duration<double>(Clock::now() - small).count(), 0.001);
}

}  // namespace
}  // namespace flint::engine
