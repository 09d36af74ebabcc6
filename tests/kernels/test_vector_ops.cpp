// The small fp32 ops of the forward pass, and the official-numerics quantizers bit-exactly.
#include "kernels/cpu/vector_ops.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace flint::kernels {
namespace {

TEST(FakeQuantE4m3, RoundsToNearestEvenOnTheGrid) {
  // amax 448 gives scale 1: the values sit on the e4m3 grid itself.
  std::vector<float> x = {448.0f, 1.0625f, 1.1875f, 17.0f, 19.0f, 3 * 0x1p-10f, 0x1p-10f, -5.2f};
  fakeQuantE4m3(x.data(), x.size(), 128);
  EXPECT_EQ(x[0], 448.0f);
  EXPECT_EQ(x[1], 1.0f) << "tie between 1 and 1.125 goes to the even mantissa";
  EXPECT_EQ(x[2], 1.25f) << "tie between 1.125 and 1.25 goes to the even mantissa";
  EXPECT_EQ(x[3], 16.0f);
  EXPECT_EQ(x[4], 20.0f);
  EXPECT_EQ(x[5], 0x1p-8f) << "subnormal tie (1.5 x 2^-9) goes to 2 x 2^-9";
  EXPECT_EQ(x[6], 0.0f) << "half the smallest subnormal rounds to zero (even)";
  EXPECT_EQ(x[7], -5.0f);
}

TEST(FakeQuantE4m3, ScalesEachBlockByAPowerOfTwo) {
  // Block 0: amax 896 -> scale 2; block 1: amax 448 exactly -> scale 1 (an exact power of two
  // of amax/448 is its own scale); block 2: all zeros -> amax floored, zeros stay zeros.
  std::vector<float> x = {896.0f, 3.3f, 448.0f, 3.3f, 0.0f, 0.0f};
  fakeQuantE4m3(x.data(), x.size(), 2);
  EXPECT_EQ(x[0], 896.0f);
  EXPECT_EQ(x[1], 3.25f) << "3.3 / 2 = 1.65 rounds to 1.625 at scale 2";
  EXPECT_EQ(x[2], 448.0f);
  EXPECT_EQ(x[3], 3.25f) << "3.3 rounds to 3.25 at scale 1 (step 0.25)";
  EXPECT_EQ(x[4], 0.0f);
  EXPECT_EQ(x[5], 0.0f);
}

TEST(FakeQuantE2m1, RoundsOntoTheSixteenValues) {
  // amax 6 -> scale 1.
  std::vector<float> x = {6.0f, 0.25f, 0.75f, 1.25f, 2.5f, 3.5f, 5.0f, -4.4f};
  fakeQuantE2m1(x.data(), x.size(), 32);
  const std::vector<float> want = {6.0f, 0.0f, 1.0f, 1.0f, 2.0f, 4.0f, 4.0f, -4.0f};
  EXPECT_EQ(x, want);
  std::vector<float> y = {12.0f, 1.0f};  // amax 12 -> scale 2: 1/2 = 0.5 is on the grid
  fakeQuantE2m1(y.data(), y.size(), 32);
  EXPECT_EQ(y, (std::vector<float>{12.0f, 1.0f}));
}

TEST(RoundToBf16, TiesToEven) {
  std::vector<float> x = {1.0f + 0x1p-8f, 1.0f + 3 * 0x1p-8f, 1.0f + 0x1p-9f, -2.0f, INFINITY};
  roundToBf16(x.data(), x.size());
  EXPECT_EQ(x[0], 1.0f);
  EXPECT_EQ(x[1], 1.0f + 0x1p-6f);
  EXPECT_EQ(x[2], 1.0f);
  EXPECT_EQ(x[3], -2.0f);
  EXPECT_TRUE(std::isinf(x[4]));
}

TEST(Sinkhorn, ConvergesToADoublyStochasticMatrix) {
  std::vector<float> c = {3.0f, -1.0f, 0.5f, 2.0f, 0.0f, -2.0f, 1.0f, 4.0f, -3.0f};
  sinkhorn(c.data(), 3, 200, 1e-6f);
  for (std::size_t i = 0; i < 3; ++i) {
    float row = 0, column = 0;
    for (std::size_t j = 0; j < 3; ++j) {
      EXPECT_GT(c[i * 3 + j], 0.0f);
      row += c[i * 3 + j];
      column += c[j * 3 + i];
    }
    EXPECT_NEAR(column, 1.0f, 1e-5f);  // the last step normalises columns
    EXPECT_NEAR(row, 1.0f, 1e-4f);
  }
  // One iteration is a row softmax and one column step: columns sum to one, rows need not.
  std::vector<float> once = {3.0f, -1.0f, 2.0f, 0.0f};
  sinkhorn(once.data(), 2, 1, 0.0f);
  const float e3 = std::exp(3.0f), em1 = std::exp(-1.0f), e2 = std::exp(2.0f), e0 = 1.0f;
  const float a = e3 / (e3 + em1), b = em1 / (e3 + em1), c2 = e2 / (e2 + e0), d = e0 / (e2 + e0);
  EXPECT_NEAR(once[0], a / (a + c2), 1e-6f);
  EXPECT_NEAR(once[1], b / (b + d), 1e-6f);
}

TEST(VectorOps, HadamardIsOrthonormalAndSelfInverse) {
  std::vector<float> x = {1, 2, 3, 4, 5, 6, 7, 8}, y = x;
  hadamardNormalized(y.data(), y.size());
  EXPECT_NEAR(y[0], 36.0f / std::sqrt(8.0f), 1e-5f);
  hadamardNormalized(y.data(), y.size());
  for (std::size_t i = 0; i < x.size(); ++i) EXPECT_NEAR(y[i], x[i], 1e-5f);
}

TEST(VectorOps, TopKBreaksTiesTowardsTheLowerIndex) {
  const std::vector<float> v = {1, 3, 3, 2, 3};
  std::int32_t out[3];
  topK(v.data(), v.size(), 3, out);
  EXPECT_EQ(out[0], 1);
  EXPECT_EQ(out[1], 2);
  EXPECT_EQ(out[2], 4);
}

TEST(VectorOps, RmsNormAndRotation) {
  std::vector<float> x = {3, 4}, w = {2, 1}, out(2);
  rmsNorm(x.data(), w.data(), 2, 0.0f, out.data());
  const float r = 1.0f / std::sqrt(12.5f);
  EXPECT_FLOAT_EQ(out[0], 2 * 3 * r);
  EXPECT_FLOAT_EQ(out[1], 4 * r);
  float pair[2] = {1, 0};
  const float c = 0.0f, s = 1.0f;  // a quarter turn
  rotatePairs(pair, &c, &s, 1, false);
  EXPECT_FLOAT_EQ(pair[0], 0.0f);
  EXPECT_FLOAT_EQ(pair[1], 1.0f);
  rotatePairs(pair, &c, &s, 1, true);
  EXPECT_FLOAT_EQ(pair[0], 1.0f);
  EXPECT_FLOAT_EQ(pair[1], 0.0f);
}

TEST(VectorOps, SoftplusAndSilu) {
  EXPECT_NEAR(softplus(0.0f), std::log(2.0f), 1e-7f);
  EXPECT_EQ(softplus(30.0f), 30.0f);
  EXPECT_NEAR(silu(1.0f), 1.0f / (1.0f + std::exp(-1.0f)), 1e-7f);
}

}  // namespace
}  // namespace flint::kernels
