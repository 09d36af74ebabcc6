#include "engine/sampling/sampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

namespace flint::engine {
namespace {

const std::vector<float> kLogits = {1.0f, 3.0f, 2.0f, 3.0f, -1.0f, 0.5f};

TEST(Sampler, GreedyTakesTheFirstLargest) {
  Sampler s({0.0f, 1.0f, 0, 1});
  EXPECT_EQ(s.sample(kLogits), 1);
}

TEST(Sampler, TopKOneIsGreedy) {
  Sampler s({1.0f, 1.0f, 1, 99});
  for (int i = 0; i < 20; ++i) EXPECT_EQ(s.sample(kLogits), 1);
}

TEST(Sampler, TopPKeepsTheSmallestNucleus) {
  // Softmax of kLogits: ids 1 and 3 hold ~0.33 each, id 2 ~0.12. top-p 0.6 keeps {1, 3}.
  Sampler s({1.0f, 0.6f, 0, 5});
  std::map<TokenId, int> seen;
  for (int i = 0; i < 400; ++i) ++seen[s.sample(kLogits)];
  EXPECT_EQ(seen.size(), 2u);
  EXPECT_GT(seen[1], 120);
  EXPECT_GT(seen[3], 120);
  const auto& kept = s.lastDistribution();
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_NEAR(kept[0].second + kept[1].second, 1.0f, 1e-6f);
}

TEST(Sampler, DrawsFollowTheSoftmax) {
  Sampler s({2.0f, 1.0f, 0, 11});
  std::vector<double> want(kLogits.size());
  double total = 0;
  for (std::size_t i = 0; i < kLogits.size(); ++i) total += (want[i] = std::exp(kLogits[i] / 2.0));
  std::vector<int> got(kLogits.size());
  const int draws = 20000;
  for (int i = 0; i < draws; ++i) ++got[std::size_t(s.sample(kLogits))];
  for (std::size_t i = 0; i < kLogits.size(); ++i) {
    const double p = want[i] / total;
    // Five standard deviations of a binomial count.
    EXPECT_NEAR(got[i], p * draws, 5 * std::sqrt(draws * p * (1 - p)) + 1) << "id " << i;
  }
}

TEST(Sampler, SeedsReproduce) {
  Sampler a({1.0f, 0.9f, 4, 42}), b({1.0f, 0.9f, 4, 42}), c({1.0f, 0.9f, 4, 43});
  std::vector<TokenId> ra, rb, rc;
  for (int i = 0; i < 50; ++i) {
    ra.push_back(a.sample(kLogits));
    rb.push_back(b.sample(kLogits));
    rc.push_back(c.sample(kLogits));
  }
  EXPECT_EQ(ra, rb);
  EXPECT_NE(ra, rc);
}

TEST(Sampler, RejectsNonsense) {
  EXPECT_THROW(Sampler({-1.0f, 1.0f, 0, 0}), std::invalid_argument);
  EXPECT_THROW(Sampler({1.0f, 0.0f, 0, 0}), std::invalid_argument);
  EXPECT_THROW(Sampler({1.0f, 1.5f, 0, 0}), std::invalid_argument);
  EXPECT_THROW(Sampler({1.0f, 1.0f, -2, 0}), std::invalid_argument);
}

}  // namespace
}  // namespace flint::engine
