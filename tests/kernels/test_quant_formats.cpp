// Every code point of every format against the independent decoder, plus a few values fixed by
// the format specifications themselves.
#include "kernels/cpu/quant_formats.h"
#include "tests/kernels/reference_formats.h"

#include <gtest/gtest.h>

#include <cmath>

namespace flint::kernels {
namespace {

using testing::referenceBf16;
using testing::referenceE2m1;
using testing::referenceE4m3;
using testing::referenceE8m0;
using testing::referenceF16;

// Same value, same sign of zero, or both NaN.
void expectIdentical(double expected, float actual, unsigned code) {
  if (std::isnan(expected)) {
    EXPECT_TRUE(std::isnan(actual)) << "code 0x" << std::hex << code << " gave " << actual;
    return;
  }
  EXPECT_EQ(double(actual), expected) << "code 0x" << std::hex << code;
  EXPECT_EQ(std::signbit(actual), std::signbit(expected)) << "sign of code 0x" << std::hex << code;
}

TEST(QuantFormats, E4m3EveryCodePoint) {
  for (unsigned code = 0; code < 256; ++code)
    expectIdentical(referenceE4m3(std::uint8_t(code)), e4m3ToF32(std::uint8_t(code)), code);
}

TEST(QuantFormats, E4m3SpecialValues) {
  EXPECT_EQ(e4m3ToF32(0x7E), 448.0f);  // largest finite: there is no infinity in e4m3fn
  EXPECT_EQ(e4m3ToF32(0xFE), -448.0f);
  EXPECT_EQ(e4m3ToF32(0x38), 1.0f);
  EXPECT_EQ(e4m3ToF32(0x08), 0x1p-6f);  // smallest normal
  EXPECT_EQ(e4m3ToF32(0x01), 0x1p-9f);  // smallest subnormal
  EXPECT_TRUE(std::signbit(e4m3ToF32(0x80)));
  EXPECT_TRUE(std::isnan(e4m3ToF32(0x7F)));
  EXPECT_TRUE(std::isnan(e4m3ToF32(0xFF)));
  int nanCount = 0;
  for (unsigned code = 0; code < 256; ++code) nanCount += std::isnan(e4m3ToF32(std::uint8_t(code)));
  EXPECT_EQ(nanCount, 2);
}

TEST(QuantFormats, E2m1EveryNibble) {
  for (unsigned nibble = 0; nibble < 16; ++nibble)
    expectIdentical(referenceE2m1(std::uint8_t(nibble)), e2m1ToF32(std::uint8_t(nibble)), nibble);
  const float expected[8] = {0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 3.0f, 4.0f, 6.0f};  // §5.2's table
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(e2m1ToF32(std::uint8_t(i)), expected[i]);
    EXPECT_EQ(e2m1ToF32(std::uint8_t(i + 8)), -expected[i]);
  }
  EXPECT_EQ(e2m1ToF32(0xF3), e2m1ToF32(0x03)) << "only the low nibble counts";
}

TEST(QuantFormats, E8m0EveryCodePoint) {
  for (unsigned code = 0; code < 256; ++code)
    expectIdentical(referenceE8m0(std::uint8_t(code)), e8m0ToF32(std::uint8_t(code)), code);
  EXPECT_EQ(e8m0ToF32(127), 1.0f);
  EXPECT_EQ(e8m0ToF32(0), std::ldexp(1.0f, -127));
  EXPECT_EQ(e8m0ToF32(254), std::ldexp(1.0f, 127));
  EXPECT_TRUE(std::isnan(e8m0ToF32(255)));
}

TEST(QuantFormats, Bf16EveryCodePoint) {
  for (unsigned code = 0; code < 65536; ++code)
    expectIdentical(referenceBf16(std::uint16_t(code)), bf16ToF32(std::uint16_t(code)), code);
}

TEST(QuantFormats, F16EveryCodePoint) {
  for (unsigned code = 0; code < 65536; ++code)
    expectIdentical(referenceF16(std::uint16_t(code)), f16ToF32(std::uint16_t(code)), code);
  EXPECT_EQ(f16ToF32(0x3C00), 1.0f);
  EXPECT_EQ(f16ToF32(0x7BFF), 65504.0f);
  EXPECT_EQ(f16ToF32(0x0001), 0x1p-24f);
  EXPECT_TRUE(std::isinf(f16ToF32(0xFC00)) && f16ToF32(0xFC00) < 0);
}

}  // namespace
}  // namespace flint::kernels
