// Generated checkpoints open as a whole model: sharded and single-file, headers only until a
// tensor's bytes are used, and the bytes dequantize to sensible weights.
#include "engine/model/model_files.h"
#include "engine/model/tensor_store.h"
#include "kernels/cpu/dequant.h"
#include "tests/engine/model/checkpoint_surgery.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

namespace flint::engine {
namespace {

using testing::generatedCheckpoint;
using testing::writerTotals;

TEST(TensorStore, OpensAShardedCheckpointReadingHeadersOnly) {
  const TensorStore store = TensorStore::open(generatedCheckpoint("tiny_sharded"));
  EXPECT_EQ(store.shardCount(), 2u);
  EXPECT_EQ(store.tensors().size(),
            writerTotals("tiny_sharded")["tensor_count"].get<std::size_t>());
  EXPECT_EQ(store.mappedShardCount(), 0u) << "opening must not map tensor data";

  const TensorView* last = &store.tensors().back();
  ASSERT_NE(store.find(last->name()), nullptr);
  EXPECT_EQ(store.find("no.such.tensor"), nullptr);
  const auto bytes = last->bytes();
  EXPECT_EQ(bytes.size(), last->byteSize());
  EXPECT_EQ(store.mappedShardCount(), 1u) << "using one tensor maps only its shard";
}

TEST(TensorStore, OpensASingleFileCheckpoint) {
  const TensorStore store = TensorStore::open(generatedCheckpoint("tiny_single"));
  EXPECT_EQ(store.shardCount(), 1u);
  EXPECT_EQ(store.tensors().size(), writerTotals("tiny_single")["tensor_count"].get<std::size_t>());
  const TensorView* embed = store.find("embed.weight");
  ASSERT_NE(embed, nullptr);
  EXPECT_EQ(embed->shardName(), "model.safetensors");
  EXPECT_EQ(embed->dtype(), DType::BF16);
  EXPECT_EQ(embed->shape(), (std::vector<std::int64_t>{320, 128}));
}

TEST(TensorStore, ShardingDoesNotChangeTheBytes) {
  const TensorStore sharded = TensorStore::open(generatedCheckpoint("tiny_sharded"));
  const TensorStore single = TensorStore::open(generatedCheckpoint("tiny_single"));
  ASSERT_EQ(sharded.tensors().size(), single.tensors().size());
  for (std::size_t i = 0; i < sharded.tensors().size(); ++i) {
    const auto a = sharded.tensors()[i].bytes();
    const auto b = single.tensors()[i].bytes();
    ASSERT_EQ(a.size(), b.size()) << sharded.tensors()[i].name();
    EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size()), 0) << sharded.tensors()[i].name();
  }
}

// Mean square of a dequantized weight, which the writer draws with std 1/sqrt(in).
double meanSquare(const std::vector<float>& w) {
  double sum = 0;
  for (float v : w) sum += double(v) * v;
  return sum / double(w.size());
}

TEST(TensorStore, Fp8AndFp4WeightsDequantizeToTheWritersMagnitudes) {
  const ModelFiles model = openModelFiles(generatedCheckpoint("small_dspark"));
  const TensorStore& w = model.weights;

  const TensorView* fp8 = w.find("layers.2.attn.wo_b.weight");  // [256, 256]: 2x2 blocks
  const TensorView* fp8Scale = w.find("layers.2.attn.wo_b.scale");
  ASSERT_TRUE(fp8 && fp8Scale);
  const auto rows = std::size_t(fp8->shape()[0]), cols = std::size_t(fp8->shape()[1]);
  std::vector<float> dense(rows * cols);
  kernels::dequantFp8BlockScalar(reinterpret_cast<const std::uint8_t*>(fp8->bytes().data()),
                                 reinterpret_cast<const std::uint8_t*>(fp8Scale->bytes().data()),
                                 rows, cols, dense.data());
  EXPECT_NEAR(meanSquare(dense), 1.0 / double(cols), 0.15 / double(cols));

  const TensorView* fp4 = w.find("mtp.1.ffn.experts.3.w2.weight");  // [256, 128] logical
  const TensorView* fp4Scale = w.find("mtp.1.ffn.experts.3.w2.scale");
  ASSERT_TRUE(fp4 && fp4Scale);
  const auto expertRows = std::size_t(fp4->shape()[0]),
             expertCols = std::size_t(fp4->shape()[1]) * 2;
  std::vector<float> expert(expertRows * expertCols);
  kernels::dequantFp4GroupScalar(reinterpret_cast<const std::uint8_t*>(fp4->bytes().data()),
                                 reinterpret_cast<const std::uint8_t*>(fp4Scale->bytes().data()),
                                 expertRows, expertCols, expert.data());
  // FP4 rounding (8 magnitudes) costs some energy, but never most of it.
  EXPECT_NEAR(meanSquare(expert), 1.0 / double(expertCols), 0.3 / double(expertCols));
}

TEST(ModelFiles, GeneratedCheckpointsPassValidation) {
  for (const char* name : {"tiny_sharded", "tiny_single", "small_dspark", "small_mtp"}) {
    SCOPED_TRACE(name);
    const ModelFiles model = openModelFiles(generatedCheckpoint(name));
    const auto totals = writerTotals(name);
    EXPECT_EQ(model.config.nDraftStages, totals["drafter_stages"].get<std::int64_t>());
    EXPECT_EQ(model.weights.mappedShardCount(), 0u);
  }
  const ModelFiles dspark = openModelFiles(generatedCheckpoint("small_dspark"));
  EXPECT_EQ(dspark.config.nDraftStages, 3);
  EXPECT_EQ(dspark.config.numNextnPredictLayers, 1) << "the writer keeps the real, misleading 1";
  EXPECT_EQ(dspark.config.hcMult, 4);
}

}  // namespace
}  // namespace flint::engine
