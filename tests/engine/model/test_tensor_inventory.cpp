// The inventory a config implies, checked against the published facts about the real
// checkpoints: tensor counts per dtype from header audits, shapes from §5.1 and §7.5, and the
// parameter counts of V4-Pro and V4-Pro-DSpark.
#include "engine/model/model_config.h"
#include "engine/model/tensor_inventory.h"
#include "tests/engine/model/v4_configs.h"

#include <gtest/gtest.h>

#include <map>

namespace flint::engine {
namespace {

ModelConfig withStages(const nlohmann::json& json, std::int64_t stages) {
  ModelConfig c = parseModelConfig(json);
  c.nDraftStages = stages;
  return c;
}

std::map<DType, int> countByDType(const std::vector<ExpectedTensor>& tensors) {
  std::map<DType, int> counts;
  for (const auto& t : tensors) ++counts[t.dtype];
  return counts;
}

std::uint64_t logicalParams(const std::vector<ExpectedTensor>& tensors) {
  std::uint64_t total = 0;
  for (const auto& t : tensors) {
    if (t.dtype == DType::F8_E8M0) continue;
    std::uint64_t n = t.dtype == DType::I8 ? 2 : 1;
    for (auto d : t.shape) n *= std::uint64_t(d);
    total += n;
  }
  return total;
}

const ExpectedTensor& find(const std::vector<ExpectedTensor>& tensors, const std::string& name) {
  for (const auto& t : tensors)
    if (t.name == name) return t;
  throw std::runtime_error("no tensor " + name);
}

using Shape = std::vector<std::int64_t>;

TEST(TensorInventory, V4FlashMatchesTheAuditedDtypeCounts) {
  const auto tensors = expectedTensors(withStages(testing::flashConfig(), 1));
  EXPECT_EQ(tensors.size(), 69187u);
  const auto counts = countByDType(tensors);
  EXPECT_EQ(counts.at(DType::BF16), 433);
  EXPECT_EQ(counts.at(DType::F32), 417);
  EXPECT_EQ(counts.at(DType::F8_E4M3), 375);
  EXPECT_EQ(counts.at(DType::F8_E8M0), 34167);
  EXPECT_EQ(counts.at(DType::I64), 3);
  EXPECT_EQ(counts.at(DType::I8), 33792);
}

TEST(TensorInventory, V4FlashShapesFromTheShardHeaders) {
  const auto t = expectedTensors(withStages(testing::flashConfig(), 1));
  EXPECT_EQ(find(t, "layers.2.attn.wq_a.weight").shape, (Shape{1024, 4096}));
  EXPECT_EQ(find(t, "layers.2.attn.wq_a.scale").shape, (Shape{8, 32}));
  EXPECT_EQ(find(t, "layers.2.attn.wq_b.scale").shape, (Shape{256, 8}));
  EXPECT_EQ(find(t, "layers.2.attn.wo_a.weight").shape, (Shape{8192, 4096}));
  EXPECT_EQ(find(t, "layers.2.attn.wo_b.scale").shape, (Shape{32, 64}));
  EXPECT_EQ(find(t, "layers.2.attn.compressor.ape").shape, (Shape{4, 1024}));
  EXPECT_EQ(find(t, "layers.3.attn.compressor.ape").shape, (Shape{128, 512}));
  EXPECT_EQ(find(t, "layers.2.attn.indexer.compressor.wkv.weight").shape, (Shape{256, 4096}));
  EXPECT_EQ(find(t, "layers.2.hc_attn_fn").shape, (Shape{24, 16384}));
  EXPECT_EQ(find(t, "layers.2.ffn.gate.tid2eid").dtype, DType::I64);
  EXPECT_EQ(find(t, "layers.2.ffn.gate.tid2eid").shape, (Shape{129280, 6}));
  EXPECT_EQ(find(t, "layers.3.ffn.gate.bias").shape, (Shape{256}));
  EXPECT_EQ(find(t, "layers.5.ffn.experts.17.w1.weight").dtype, DType::I8);
  EXPECT_EQ(find(t, "layers.5.ffn.experts.17.w1.weight").shape, (Shape{2048, 2048}));
  EXPECT_EQ(find(t, "layers.5.ffn.experts.17.w1.scale").shape, (Shape{2048, 128}));
  EXPECT_EQ(find(t, "layers.5.ffn.experts.17.w2.weight").shape, (Shape{4096, 1024}));
  EXPECT_EQ(find(t, "layers.5.ffn.experts.17.w2.scale").shape, (Shape{4096, 64}));
  EXPECT_EQ(find(t, "layers.5.ffn.shared_experts.w2.scale").shape, (Shape{32, 16}));
  EXPECT_EQ(find(t, "mtp.0.e_proj.weight").shape, (Shape{4096, 4096}));
  EXPECT_EQ(find(t, "hc_head_fn").shape, (Shape{4, 16384}));
}

TEST(TensorInventory, V4FlashDSparkStages) {
  const auto all = expectedTensors(withStages(testing::flashDSparkConfig(), 3));
  EXPECT_EQ(all.size(), 72317u);
  std::vector<ExpectedTensor> stages;
  for (const auto& t : all)
    if (t.name.rfind("mtp.", 0) == 0) stages.push_back(t);
  EXPECT_EQ(stages.size(), 4705u);  // §7.5: 2,376 tensors + 2,329 scales
  const auto counts = countByDType(stages);
  EXPECT_EQ(counts.at(DType::BF16), 20);
  EXPECT_EQ(counts.at(DType::F32), 27);
  EXPECT_EQ(counts.at(DType::F8_E4M3), 25);
  EXPECT_EQ(counts.at(DType::I8), 2304);
  EXPECT_EQ(counts.at(DType::F8_E8M0), 2329);
  EXPECT_EQ(find(all, "mtp.0.main_proj.weight").shape, (Shape{4096, 12288}));
  EXPECT_EQ(find(all, "mtp.0.main_proj.scale").shape, (Shape{32, 96}));
  EXPECT_EQ(find(all, "mtp.2.markov_head.markov_w1.weight").shape, (Shape{129280, 256}));
  EXPECT_EQ(find(all, "mtp.2.confidence_head.proj.weight").shape, (Shape{1, 4352}));
  EXPECT_EQ(find(all, "mtp.2.hc_head_scale").shape, (Shape{1}));
  EXPECT_THROW(find(all, "mtp.1.markov_head.markov_w1.weight"), std::runtime_error);
  EXPECT_THROW(find(all, "mtp.1.main_proj.weight"), std::runtime_error);
  EXPECT_THROW(find(all, "mtp.0.e_proj.weight"), std::runtime_error);
}

TEST(TensorInventory, V4ProParameterCounts) {
  const auto pro = expectedTensors(withStages(testing::proConfig(), 1));
  EXPECT_EQ(pro.size(), 145116u);  // index entries of V4-Pro
  EXPECT_EQ(logicalParams(pro), 1598839674782u);
  EXPECT_EQ(logicalParams(expectedTensors(withStages(testing::proDSparkConfig(), 3))),
            1650497936906u);
  EXPECT_EQ(find(pro, "layers.4.ffn.experts.0.w1.weight").shape, (Shape{3072, 3584}));
  EXPECT_EQ(find(pro, "layers.4.attn.wo_b.scale").shape, (Shape{56, 128}));
}

TEST(TensorInventory, UnquantizedConfigExpectsBf16WithoutScales) {
  nlohmann::json json = testing::flashConfig();
  json.erase("quantization_config");
  json.erase("expert_dtype");
  const auto t = expectedTensors(withStages(json, 0));
  EXPECT_EQ(find(t, "layers.3.attn.wq_a.weight").dtype, DType::BF16);
  EXPECT_EQ(find(t, "layers.3.ffn.experts.0.w2.weight").shape, (Shape{4096, 2048}));
  EXPECT_EQ(countByDType(t).count(DType::F8_E8M0), 0u);
}

}  // namespace
}  // namespace flint::engine
