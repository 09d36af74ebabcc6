// The engine's census of each generated checkpoint equals the totals its writer computed from
// its own tensor list (a separate implementation, in Python).
#include "engine/model/model_census.h"
#include "engine/model/model_files.h"
#include "tests/engine/model/checkpoint_surgery.h"

#include <gtest/gtest.h>

namespace flint::engine {
namespace {

using testing::generatedCheckpoint;
using testing::writerTotals;

class CensusMatchesWriter : public ::testing::TestWithParam<const char*> {};

TEST_P(CensusMatchesWriter, EveryTotal) {
  const ModelFiles model = openModelFiles(generatedCheckpoint(GetParam()));
  const ModelCensus s = takeCensus(model.config, model.weights);
  const auto totals = writerTotals(GetParam());
  EXPECT_EQ(s.tensorCount, totals["tensor_count"].get<std::uint64_t>());
  EXPECT_EQ(s.totalBytes, totals["total_bytes"].get<std::uint64_t>());
  EXPECT_EQ(s.routedExpertBytes, totals["routed_expert_bytes"].get<std::uint64_t>());
  EXPECT_EQ(s.nonExpertBytes, totals["non_expert_bytes"].get<std::uint64_t>());
  EXPECT_EQ(s.paramsTotal, totals["params_total"].get<std::uint64_t>());
  EXPECT_EQ(s.paramsBackbone, totals["params_backbone"].get<std::uint64_t>());
  EXPECT_EQ(s.paramsDrafter, totals["params_drafter"].get<std::uint64_t>());
  EXPECT_EQ(s.paramsActiveBackbone, totals["params_active_backbone"].get<std::uint64_t>());
  EXPECT_EQ(s.paramsActiveDrafter, totals["params_active_drafter"].get<std::uint64_t>());
  EXPECT_EQ(s.layersWindow, totals["layers_window"].get<std::int64_t>());
  EXPECT_EQ(s.layersCsa, totals["layers_csa"].get<std::int64_t>());
  EXPECT_EQ(s.layersHca, totals["layers_hca"].get<std::int64_t>());
  EXPECT_EQ(s.layersHash, totals["layers_hash"].get<std::int64_t>());
  EXPECT_EQ(s.drafterStages, totals["drafter_stages"].get<std::int64_t>());
  EXPECT_DOUBLE_EQ(s.kvBytesPerToken, totals["kv_bytes_per_token"].get<double>());
  EXPECT_EQ(s.kvWindowBytes, totals["kv_window_bytes"].get<std::uint64_t>());
  ASSERT_EQ(s.byDType.size(), totals["bytes_by_dtype"].size());
  for (const DTypeTotal& t : s.byDType) {
    const std::string name(dtypeName(t.dtype));
    EXPECT_EQ(t.bytes, totals["bytes_by_dtype"][name].get<std::uint64_t>()) << name;
    EXPECT_EQ(t.tensors, totals["tensors_by_dtype"][name].get<std::uint64_t>()) << name;
  }
  EXPECT_GT(s.paramsActiveBackbone, 0u);
  EXPECT_LT(s.paramsActiveBackbone, s.paramsBackbone)
      << "only top-k of the routed experts are active";
}

INSTANTIATE_TEST_SUITE_P(GeneratedCheckpoints, CensusMatchesWriter,
                         ::testing::Values("tiny_sharded", "tiny_single", "small_dspark",
                                           "small_mtp"));

TEST(ModelCensus, FlashKvBytesPerTokenFromSection4_10) {
  // 21 CSA layers x (512/4 + 128/4) x 2 bytes + 20 HCA layers x 512/128 x 2 bytes = 6,880.
  ModelConfig c;
  c.numHiddenLayers = 43;
  c.headDim = 512;
  c.indexHeadDim = 128;
  c.slidingWindow = 128;
  c.nRoutedExperts = 256;
  c.numExpertsPerTok = 6;
  c.compressRatios = {0, 0};
  for (int i = 0; i < 20; ++i) c.compressRatios.insert(c.compressRatios.end(), {4, 128});
  c.compressRatios.push_back(4);
  const TensorStore none;
  const ModelCensus s = takeCensus(c, none);
  EXPECT_DOUBLE_EQ(s.kvBytesPerToken, 6880.0);
  EXPECT_EQ(s.kvWindowBytes, 43u * 128 * 512 * 2);
  EXPECT_EQ(s.layersCsa, 21);
  EXPECT_EQ(s.layersHca, 20);
}

}  // namespace
}  // namespace flint::engine
