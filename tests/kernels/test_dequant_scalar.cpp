// The scalar dequant routines on odd-sized weights (partial tail blocks and groups), checked
// element by element against the independent decoders and an explicit index computation.
#include "kernels/cpu/dequant.h"
#include "tests/kernels/reference_formats.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace flint::kernels {
namespace {

using testing::referenceBf16;
using testing::referenceE2m1;
using testing::referenceE4m3;
using testing::referenceE8m0;
using testing::referenceF16;

std::vector<std::uint8_t> randomBytes(std::size_t n, std::uint32_t seed, unsigned lo = 0,
                                      unsigned hi = 255) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<unsigned> dist(lo, hi);
  std::vector<std::uint8_t> out(n);
  for (auto& b : out) b = std::uint8_t(dist(rng));
  return out;
}

void expectSameValue(double expected, float actual, std::size_t r, std::size_t c) {
  if (std::isnan(expected)) {
    EXPECT_TRUE(std::isnan(actual)) << "at [" << r << ", " << c << "]";
  } else {
    EXPECT_EQ(double(actual), expected) << "at [" << r << ", " << c << "]";
  }
}

struct Shape {
  std::size_t rows, cols;
};

class Fp8BlockDequant : public ::testing::TestWithParam<Shape> {};

TEST_P(Fp8BlockDequant, MatchesPerElementDefinition) {
  const auto [rows, cols] = GetParam();
  const std::size_t scaleRows = (rows + 127) / 128, scaleCols = (cols + 127) / 128;
  const auto weight = randomBytes(rows * cols, 1);
  // Scales near 127 keep products in float range; one NaN scale (255) shows NaN propagates.
  auto scales = randomBytes(scaleRows * scaleCols, 2, 100, 150);
  scales.back() = 255;
  std::vector<float> out(rows * cols, -1.0f);
  dequantFp8BlockScalar(weight.data(), scales.data(), rows, cols, out.data());
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < cols; ++c) {
      const double expected = referenceE4m3(weight[r * cols + c]) *
                              referenceE8m0(scales[(r / 128) * scaleCols + c / 128]);
      expectSameValue(expected, out[r * cols + c], r, c);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(OddShapes, Fp8BlockDequant,
                         ::testing::Values(Shape{1, 1}, Shape{128, 128}, Shape{130, 257},
                                           Shape{127, 129}, Shape{300, 7}, Shape{5, 384}));

TEST(Fp8BlockDequantLayout, EachBlockUsesItsOwnScale) {
  // Every weight byte is 1.0 (0x38); block (i, j) has scale 2^(i*3+j): the output shows
  // exactly which block each element was assigned to, tails included.
  const std::size_t rows = 200, cols = 300;
  std::vector<std::uint8_t> weight(rows * cols, 0x38);
  std::vector<std::uint8_t> scales(2 * 3);
  for (std::size_t i = 0; i < 2; ++i)
    for (std::size_t j = 0; j < 3; ++j) scales[i * 3 + j] = std::uint8_t(127 + i * 3 + j);
  std::vector<float> out(rows * cols);
  dequantFp8BlockScalar(weight.data(), scales.data(), rows, cols, out.data());
  EXPECT_EQ(out[0], 1.0f);
  EXPECT_EQ(out[127 * cols + 127], 1.0f);
  EXPECT_EQ(out[127 * cols + 128], 2.0f);
  EXPECT_EQ(out[128 * cols + 0], 8.0f);
  EXPECT_EQ(out[199 * cols + 299], 32.0f);
}

class Fp4GroupDequant : public ::testing::TestWithParam<Shape> {};

TEST_P(Fp4GroupDequant, MatchesPerElementDefinition) {
  const auto [rows, cols] = GetParam();
  const std::size_t rowBytes = (cols + 1) / 2, scaleCols = (cols + 31) / 32;
  const auto packed = randomBytes(rows * rowBytes, 3);
  auto scales = randomBytes(rows * scaleCols, 4, 110, 140);
  scales.front() = 255;
  std::vector<float> out(rows * cols, -1.0f);
  dequantFp4GroupScalar(packed.data(), scales.data(), rows, cols, out.data());
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < cols; ++c) {
      const std::uint8_t byte = packed[r * rowBytes + c / 2];
      const std::uint8_t nibble = std::uint8_t(c % 2 == 0 ? byte % 16 : byte / 16);
      const double expected = referenceE2m1(nibble) * referenceE8m0(scales[r * scaleCols + c / 32]);
      expectSameValue(expected, out[r * cols + c], r, c);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(OddShapes, Fp4GroupDequant,
                         ::testing::Values(Shape{1, 2}, Shape{4, 64}, Shape{3, 70}, Shape{5, 65},
                                           Shape{17, 33}, Shape{2, 1}));

TEST(Fp4GroupDequantLayout, LowNibbleIsTheEvenElement) {
  const std::uint8_t packed[2] = {0x72, 0xF9};  // elements: 1.0 (0x2), 6.0 (0x7), -0.5, -6.0
  const std::uint8_t scale = 128;               // x2
  float out[4];
  dequantFp4GroupScalar(packed, &scale, 1, 4, out);
  EXPECT_EQ(out[0], 2.0f);
  EXPECT_EQ(out[1], 12.0f);
  EXPECT_EQ(out[2], -1.0f);
  EXPECT_EQ(out[3], -12.0f);
}

TEST(Fp4GroupDequantLayout, EachGroupOf32UsesItsOwnScale) {
  const std::size_t cols = 100;                      // groups 0..3, the last one 4 wide
  std::vector<std::uint8_t> packed(cols / 2, 0x22);  // every element 1.0
  const std::uint8_t scales[4] = {127, 128, 129, 130};
  std::vector<float> out(cols);
  dequantFp4GroupScalar(packed.data(), scales, 1, cols, out.data());
  EXPECT_EQ(out[31], 1.0f);
  EXPECT_EQ(out[32], 2.0f);
  EXPECT_EQ(out[95], 4.0f);
  EXPECT_EQ(out[96], 8.0f);
  EXPECT_EQ(out[99], 8.0f);
}

TEST(HalfDequant, Bf16AndF16ArraysMatchElementDecoders) {
  std::vector<std::uint16_t> in(65536);
  for (std::size_t i = 0; i < in.size(); ++i) in[i] = std::uint16_t(i);
  std::vector<float> out(in.size());
  dequantBf16Scalar(in.data(), in.size(), out.data());
  for (std::size_t i = 0; i < in.size(); ++i) expectSameValue(referenceBf16(in[i]), out[i], 0, i);
  dequantF16Scalar(in.data(), in.size(), out.data());
  for (std::size_t i = 0; i < in.size(); ++i) expectSameValue(referenceF16(in[i]), out[i], 0, i);
}

}  // namespace
}  // namespace flint::kernels
