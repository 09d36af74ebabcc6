#pragma once
// config.json of a DeepseekV4ForCausalLM checkpoint (deepseek-v4.md §2), checked on load:
// an unknown architecture, a missing field, a wrong type or a contradiction is one ModelError
// naming the field. Field names follow config.json, in camelCase.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace flint::engine {

// Attention kind of a layer, from its compress ratio (§4).
enum class LayerAttention {
  Window,  // ratio 0: sliding window only
  Csa,     // ratio 4: compressed sparse attention with overlap, plus the lightning indexer
  Hca,     // ratio 128: heavily compressed attention
};

const char* layerAttentionName(LayerAttention kind);

struct RopeScaling {  // YaRN, applied only in CSA/HCA layers
  double factor = 1.0;
  std::int64_t originalMaxPositionEmbeddings = 0;
  double betaFast = 32.0;
  double betaSlow = 1.0;
};

struct DSparkConfig {                        // present only in -DSpark checkpoints (§7.2)
  std::int64_t blockSize = 0;                // γ: tokens drafted per pass
  std::int64_t noiseTokenId = 0;             // mask embedding row for the drafted positions
  std::vector<std::int64_t> targetLayerIds;  // backbone layers whose outputs feed the drafter
  std::int64_t markovRank = 0;               // rank of the Markov head's bigram
};

struct ModelConfig {
  std::int64_t vocabSize = 0;
  std::int64_t hiddenSize = 0;         // d
  std::int64_t numHiddenLayers = 0;    // backbone blocks
  std::int64_t numAttentionHeads = 0;  // H
  std::int64_t numKeyValueHeads = 1;   // always 1: one shared latent, K = V
  std::int64_t headDim = 0;            // D, query and kv
  std::int64_t qkRopeHeadDim = 0;      // rope on the last qkRopeHeadDim dims of a head
  std::int64_t qLoraRank = 0;
  std::int64_t oGroups = 0;
  std::int64_t oLoraRank = 0;
  std::int64_t moeIntermediateSize = 0;  // every expert, routed and shared
  std::int64_t nRoutedExperts = 0;
  std::int64_t nSharedExperts = 0;
  std::int64_t numExpertsPerTok = 0;  // top-k
  std::string scoringFunc;            // "sqrtsoftplus"
  std::string topkMethod;             // "noaux_tc"
  bool normTopkProb = true;
  double routedScalingFactor = 1.0;
  std::int64_t numHashLayers = 0;  // layers [0, numHashLayers) route by tid2eid
  double swigluLimit = 0.0;
  std::int64_t slidingWindow = 0;
  std::vector<std::int64_t> compressRatios;  // backbone layers, then one 0 per MTP/DSpark layer
  double compressRopeTheta = 0.0;
  double ropeTheta = 0.0;
  std::optional<RopeScaling> ropeScaling;
  std::int64_t maxPositionEmbeddings = 0;
  std::int64_t indexNHeads = 0;
  std::int64_t indexHeadDim = 0;
  std::int64_t indexTopk = 0;
  std::int64_t hcMult = 0;  // mHC residual streams
  std::int64_t hcSinkhornIters = 0;
  double hcEps = 0.0;
  double rmsNormEps = 0.0;
  std::int64_t numNextnPredictLayers = 0;  // informational only: see nDraftStages
  bool expertsFp4 = false;                 // expert_dtype "fp4": routed experts packed FP4
  bool weightsFp8 = false;                 // quantization_config fp8 e4m3 with ue8m0 scales
  std::int64_t fp8BlockOut = 128;          // quantization_config.weight_block_size
  std::int64_t fp8BlockIn = 128;
  std::int64_t bosTokenId = 0;
  std::int64_t eosTokenId = 1;
  std::optional<DSparkConfig> dspark;

  // Drafter stages = distinct `mtp.N.` prefixes in the weights (not num_nextn_predict_layers,
  // which stays 1 in DSpark checkpoints); set from countDraftStages() when weights open.
  std::int64_t nDraftStages = 0;

  LayerAttention layerAttention(std::int64_t layer) const;
  bool isHashLayer(std::int64_t layer) const { return layer < numHashLayers; }
};

// Parses and checks a config.json document. Throws ModelError naming the field.
ModelConfig parseModelConfig(const nlohmann::json& config);
ModelConfig loadModelConfig(const std::filesystem::path& configJson);

// Counts the `mtp.N.` prefixes; they must be numbered 0..N-1 (ModelError otherwise).
std::int64_t countDraftStages(const std::vector<std::string>& tensorNames);

}  // namespace flint::engine
