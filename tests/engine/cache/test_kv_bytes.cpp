// KV cache bytes by layer kind: what a session holds after N tokens equals the formula from the
// config (deepseek-v4.md §4.10 in Flint's fp32 layout), and the spec's BF16 growth is half.
#include "engine/cache/kv_bytes.h"
#include "engine/engine.h"
#include "tests/engine/cache/session_test_support.h"
#include "tests/engine/model/checkpoint_surgery.h"

#include <gtest/gtest.h>

namespace flint::engine {
namespace {

void expectMeasuredEqualsFormula(Engine& engine, std::initializer_list<std::size_t> lengths) {
  auto session = engine.newSession();
  std::size_t fed = 0;
  for (std::size_t length : lengths) {
    SCOPED_TRACE(length);
    session->prefill(std::vector<TokenId>(length - fed, 7));
    fed = length;
    const KvBytes measured = session->kvBytes(),
                  expected = expectedKvBytes(engine.config(), std::int64_t(length));
    EXPECT_EQ(measured.window, expected.window);
    EXPECT_EQ(measured.compressorState, expected.compressorState);
    EXPECT_EQ(measured.csa, expected.csa);
    EXPECT_EQ(measured.indexer, expected.indexer);
    EXPECT_EQ(measured.hca, expected.hca);
  }
}

TEST(KvBytes, FlintTinyHoldsWhatTheFormulaSays) {
  Engine& engine = testing::tinyEngine();
  expectMeasuredEqualsFormula(engine, {1, 3, 4, 127, 128, 129, 1000, 2048});
  // flint-tiny: head_dim 128, index_head_dim 64, 2 CSA layers and 1 HCA (ratio 128).
  const KvBytes at2048 = expectedKvBytes(engine.config(), 2048);
  EXPECT_EQ(at2048.csa, 2u * 2048 / 4 * 128 * 4);
  EXPECT_EQ(at2048.indexer, 2u * 2048 / 4 * 64 * 4);
  EXPECT_EQ(at2048.hca, 1u * 2048 / 128 * 128 * 4);
  EXPECT_EQ(at2048.window, 4u * 128 * 128 * 4);
  const KvGrowth spec = specKvGrowthBf16(engine.config());
  EXPECT_DOUBLE_EQ(spec.csa, 2 * 2.0 * 128 / 4);
  EXPECT_DOUBLE_EQ(spec.indexer, 2 * 2.0 * 64 / 4);
  EXPECT_DOUBLE_EQ(spec.hca, 2.0 * 128 / 128);
  // fp32 is twice the spec's BF16 bytes per token.
  EXPECT_DOUBLE_EQ(double(at2048.csa + at2048.indexer + at2048.hca) / 2048, 2 * spec.total());
}

TEST(KvBytes, AGeneratedCheckpointWithOtherRatiosToo) {
  LoadOptions options;
  options.threads = 2;
  auto engine = Engine::load(testing::generatedCheckpoint("small_dspark"), options);
  expectMeasuredEqualsFormula(*engine, {1, 16, 17, 200});
}

TEST(KvBytes, TheSpecFiguresForV4Flash) {
  // §4.10: Flash has 21 CSA and 20 HCA layers of head_dim 512, index_head_dim 128.
  ModelConfig flash;
  flash.numHiddenLayers = 43;
  flash.headDim = 512;
  flash.indexHeadDim = 128;
  flash.compressRatios.assign(2, 0);
  for (int i = 0; i < 41; ++i) flash.compressRatios.push_back(i % 2 == 0 ? 4 : 128);
  const KvGrowth g = specKvGrowthBf16(flash);
  EXPECT_DOUBLE_EQ(g.csa + g.indexer, 21 * 320.0);
  EXPECT_DOUBLE_EQ(g.hca, 20 * 8.0);
  EXPECT_DOUBLE_EQ(g.total(), 6880.0);
}

}  // namespace
}  // namespace flint::engine
