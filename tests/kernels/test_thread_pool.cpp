#include "kernels/cpu/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <vector>

namespace flint::kernels {
namespace {

TEST(ThreadPool, EveryIndexRunsExactlyOnce) {
  ThreadPool pool(3);
  EXPECT_EQ(pool.size(), 3u);
  for (std::size_t n : {1, 2, 5, 16, 17, 100, 1000, 4097}) {
    std::vector<std::atomic<int>> hits(n);
    pool.parallelFor(n, 1, [&](std::size_t b, std::size_t e) {
      ASSERT_LT(b, e);
      for (std::size_t i = b; i < e; ++i) hits[i].fetch_add(1);
    });
    for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(hits[i].load(), 1) << "n=" << n << " i=" << i;
  }
}

TEST(ThreadPool, ManyJobsInARowOfDifferentSizes) {
  // Back-to-back jobs of changing size are where a worker from the last job could take a
  // chunk of the next one twice.
  ThreadPool pool(4);
  std::atomic<long> total{0};
  long expected = 0;
  for (int round = 0; round < 3000; ++round) {
    const std::size_t n = 1 + (round * 37) % 97;
    expected += long(n);
    pool.parallelFor(n, 1, [&](std::size_t b, std::size_t e) { total.fetch_add(long(e - b)); });
    ASSERT_EQ(total.load(), expected) << "round " << round;
  }
}

TEST(ThreadPool, GrainKeepsSmallJobsOnTheCaller) {
  ThreadPool pool(2);
  int calls = 0;  // not atomic: with grain > n only the caller runs it
  pool.parallelFor(10, 64, [&](std::size_t b, std::size_t e) {
    ++calls;
    EXPECT_EQ(b, 0u);
    EXPECT_EQ(e, 10u);
  });
  EXPECT_EQ(calls, 1);
  pool.parallelFor(0, 1, [&](std::size_t, std::size_t) { ++calls; });
  EXPECT_EQ(calls, 1) << "an empty range runs nothing";
}

TEST(ThreadPool, SingleThreadPoolRunsInline) {
  ThreadPool pool(1);
  std::size_t covered = 0;
  pool.parallelFor(50, 1, [&](std::size_t b, std::size_t e) { covered += e - b; });
  EXPECT_EQ(covered, 50u);
}

}  // namespace
}  // namespace flint::kernels
