// config.json -> ModelConfig: the real V4-Flash values, the layer census they imply, and one
// error naming the field for each kind of bad config.
#include "engine/model/model_config.h"
#include "engine/model/model_error.h"
#include "tests/engine/model/v4_configs.h"

#include <gtest/gtest.h>

#include <functional>

namespace flint::engine {
namespace {

using nlohmann::json;
using testing::flashConfig;
using testing::flashDSparkConfig;

// The error message parsing `config` after `edit` gives, or "" when it parses.
std::string configError(const std::function<void(json&)>& edit, json config = flashConfig()) {
  edit(config);
  try {
    parseModelConfig(config);
  } catch (const ModelError& e) {
    return e.what();
  }
  return "";
}

#define EXPECT_CONFIG_ERROR(edit, text)                                     \
  do {                                                                      \
    const std::string error_ = configError(edit);                           \
    EXPECT_NE(error_.find(text), std::string::npos) << "error: " << error_; \
  } while (0)

TEST(ModelConfig, ParsesV4Flash) {
  const ModelConfig c = parseModelConfig(flashConfig());
  EXPECT_EQ(c.vocabSize, 129280);
  EXPECT_EQ(c.hiddenSize, 4096);
  EXPECT_EQ(c.numHiddenLayers, 43);
  EXPECT_EQ(c.numAttentionHeads, 64);
  EXPECT_EQ(c.headDim, 512);
  EXPECT_EQ(c.qkRopeHeadDim, 64);
  EXPECT_EQ(c.qLoraRank, 1024);
  EXPECT_EQ(c.oGroups, 8);
  EXPECT_EQ(c.oLoraRank, 1024);
  EXPECT_EQ(c.moeIntermediateSize, 2048);
  EXPECT_EQ(c.nRoutedExperts, 256);
  EXPECT_EQ(c.nSharedExperts, 1);
  EXPECT_EQ(c.numExpertsPerTok, 6);
  EXPECT_DOUBLE_EQ(c.routedScalingFactor, 1.5);
  EXPECT_EQ(c.numHashLayers, 3);
  EXPECT_DOUBLE_EQ(c.swigluLimit, 10.0);
  EXPECT_EQ(c.slidingWindow, 128);
  EXPECT_DOUBLE_EQ(c.compressRopeTheta, 160000.0);
  EXPECT_DOUBLE_EQ(c.ropeTheta, 10000.0);
  ASSERT_TRUE(c.ropeScaling.has_value());
  EXPECT_DOUBLE_EQ(c.ropeScaling->factor, 16.0);
  EXPECT_EQ(c.ropeScaling->originalMaxPositionEmbeddings, 65536);
  EXPECT_EQ(c.indexNHeads, 64);
  EXPECT_EQ(c.indexHeadDim, 128);
  EXPECT_EQ(c.indexTopk, 512);
  EXPECT_EQ(c.hcMult, 4);
  EXPECT_EQ(c.hcSinkhornIters, 20);
  EXPECT_DOUBLE_EQ(c.hcEps, 1e-6);
  EXPECT_TRUE(c.expertsFp4);
  EXPECT_TRUE(c.weightsFp8);
  EXPECT_EQ(c.fp8BlockOut, 128);
  EXPECT_EQ(c.eosTokenId, 1);
  EXPECT_FALSE(c.dspark.has_value());
  EXPECT_EQ(c.compressRatios.size(), 44u);
}

TEST(ModelConfig, LayerTypesFromCompressRatios) {
  const ModelConfig c = parseModelConfig(flashConfig());
  int window = 0, csa = 0, hca = 0;
  for (std::int64_t i = 0; i < c.numHiddenLayers; ++i) {
    switch (c.layerAttention(i)) {
      case LayerAttention::Window:
        ++window;
        break;
      case LayerAttention::Csa:
        ++csa;
        EXPECT_EQ(i % 2, 0) << "CSA layers are the even ones from 2";
        break;
      case LayerAttention::Hca:
        ++hca;
        break;
    }
  }
  EXPECT_EQ(window, 2);  // §2's census: layers 0-1 window, 21 CSA, 20 HCA
  EXPECT_EQ(csa, 21);
  EXPECT_EQ(hca, 20);
  EXPECT_EQ(c.layerAttention(0), LayerAttention::Window);
  EXPECT_EQ(c.layerAttention(2), LayerAttention::Csa);
  EXPECT_EQ(c.layerAttention(3), LayerAttention::Hca);
  EXPECT_TRUE(c.isHashLayer(2));
  EXPECT_FALSE(c.isHashLayer(3));
}

TEST(ModelConfig, ParsesDSparkFields) {
  const ModelConfig c = parseModelConfig(flashDSparkConfig());
  ASSERT_TRUE(c.dspark.has_value());
  EXPECT_EQ(c.dspark->blockSize, 5);
  EXPECT_EQ(c.dspark->noiseTokenId, 128799);
  EXPECT_EQ(c.dspark->targetLayerIds, (std::vector<std::int64_t>{40, 41, 42}));
  EXPECT_EQ(c.dspark->markovRank, 256);
  EXPECT_EQ(c.numNextnPredictLayers, 1);  // still 1: the stage count comes from the weights
}

TEST(ModelConfig, UnknownArchitecture) {
  EXPECT_CONFIG_ERROR([](json& c) { c["architectures"] = {"DeepseekV3ForCausalLM"}; },
                      "architecture [\"DeepseekV3ForCausalLM\"] is not supported");
  EXPECT_CONFIG_ERROR([](json& c) { c.erase("architectures"); }, "field 'architectures'");
  EXPECT_CONFIG_ERROR([](json& c) { c["model_type"] = "deepseek_v3"; }, "field 'model_type'");
}

TEST(ModelConfig, MissingRequiredField) {
  EXPECT_CONFIG_ERROR([](json& c) { c.erase("hidden_size"); }, "field 'hidden_size' is missing");
  EXPECT_CONFIG_ERROR([](json& c) { c.erase("compress_ratios"); },
                      "field 'compress_ratios' is missing");
  EXPECT_CONFIG_ERROR([](json& c) { c["rope_scaling"].erase("factor"); },
                      "field 'rope_scaling.factor' is missing");
}

TEST(ModelConfig, WrongType) {
  EXPECT_CONFIG_ERROR([](json& c) { c["hidden_size"] = "4096"; },
                      "field 'hidden_size' must be an integer, found \"4096\"");
  EXPECT_CONFIG_ERROR([](json& c) { c["num_hidden_layers"] = 43.5; },
                      "field 'num_hidden_layers' must be an integer");
  EXPECT_CONFIG_ERROR([](json& c) { c["norm_topk_prob"] = 1; },
                      "field 'norm_topk_prob' must be true or false");
  EXPECT_CONFIG_ERROR([](json& c) { c["compress_ratios"][3] = "4"; },
                      "field 'compress_ratios' must be a list of integers");
  EXPECT_CONFIG_ERROR([](json& c) { c["quantization_config"]["fmt"] = "e5m2"; },
                      "field 'quantization_config.fmt' is \"e5m2\"");
  EXPECT_CONFIG_ERROR([](json& c) { c["hc_mult"] = 0; }, "field 'hc_mult' must be positive");
}

TEST(ModelConfig, UnsupportedValues) {
  EXPECT_CONFIG_ERROR([](json& c) { c["scoring_func"] = "softmax"; }, "field 'scoring_func'");
  EXPECT_CONFIG_ERROR([](json& c) { c["expert_dtype"] = "int4"; }, "field 'expert_dtype'");
  EXPECT_CONFIG_ERROR([](json& c) { c["tie_word_embeddings"] = true; },
                      "field 'tie_word_embeddings'");
  EXPECT_CONFIG_ERROR([](json& c) { c["num_key_value_heads"] = 8; }, "field 'num_key_value_heads'");
}

TEST(ModelConfig, CompressRatiosContradictions) {
  EXPECT_CONFIG_ERROR(
      [](json& c) {
        c["compress_ratios"] = json::array({0, 0, 4});
      },
      "field 'compress_ratios' has 3 entries but num_hidden_layers is 43");
  EXPECT_CONFIG_ERROR(
      [](json& c) { c["compress_ratios"][5] = 24; },
      "field 'compress_ratios[5]' is 24: expected 0 (window), 4 (CSA) or a power of "
      "two from 8 up (HCA, 128 in V4)");
  EXPECT_CONFIG_ERROR([](json& c) { c["compress_ratios"][43] = 4; },
                      "field 'compress_ratios[43]' is 4: entries after the backbone layers");
}

TEST(ModelConfig, ShapeContradictions) {
  EXPECT_CONFIG_ERROR([](json& c) { c["head_dim"] = 32; },
                      "field 'head_dim' (32) must be larger than qk_rope_head_dim (64)");
  EXPECT_CONFIG_ERROR([](json& c) { c["num_experts_per_tok"] = 300; },
                      "field 'num_experts_per_tok' (300) is more than n_routed_experts (256)");
  EXPECT_CONFIG_ERROR([](json& c) { c["o_groups"] = 7; }, "field 'o_groups' (7) must divide");
  EXPECT_CONFIG_ERROR([](json& c) { c["num_hash_layers"] = 44; }, "field 'num_hash_layers' is 44");
  EXPECT_CONFIG_ERROR([](json& c) { c["eos_token_id"] = 129280; },
                      "field 'eos_token_id' is 129280");
  EXPECT_CONFIG_ERROR([](json& c) { c["moe_intermediate_size"] = 2050; },
                      "field 'moe_intermediate_size' must be a multiple of 32 for FP4 experts");
}

TEST(ModelConfig, DSparkContradictions) {
  auto dsparkError = [](const std::function<void(json&)>& edit) {
    return configError(edit, flashDSparkConfig());
  };
  EXPECT_NE(dsparkError([](json& c) {
              c["dspark_target_layer_ids"] = {40, 41, 43};
            }).find("field 'dspark_target_layer_ids' is 43, outside [0, 42]"),
            std::string::npos);
  EXPECT_NE(dsparkError([](json& c) {
              c["dspark_target_layer_ids"] = {40, 40};
            }).find("twice"),
            std::string::npos);
  EXPECT_NE(
      dsparkError([](json& c) {
        c.erase("dspark_markov_rank");
      }).find("field 'dspark_markov_rank' is missing while other dspark_* fields are present"),
      std::string::npos);
  EXPECT_NE(dsparkError([](json& c) {
              c["dspark_noise_token_id"] = 200000;
            }).find("field 'dspark_noise_token_id'"),
            std::string::npos);
}

TEST(DraftStages, CountedFromMtpPrefixesNotFromTheConfig) {
  EXPECT_EQ(countDraftStages({"embed.weight", "layers.0.attn_norm.weight"}), 0);
  EXPECT_EQ(countDraftStages({"mtp.0.attn_norm.weight", "mtp.0.norm.weight"}), 1);
  EXPECT_EQ(countDraftStages({"mtp.1.x", "mtp.0.x", "mtp.2.x", "mtp.2.y", "layers.1.x"}), 3);
}

TEST(DraftStages, GapsAndBadNumbersAreErrors) {
  try {
    countDraftStages({"mtp.0.x", "mtp.2.x"});
    FAIL() << "a missing stage was accepted";
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("mtp.1 is missing"), std::string::npos) << e.what();
  }
  EXPECT_THROW(countDraftStages({"mtp.x.norm.weight"}), ModelError);
}

}  // namespace
}  // namespace flint::engine
