#pragma once
// The checkpoint's tensors bound to the forward pass: linear weights as kernel WeightViews
// over the mapped bytes (still FP8 / FP4 / BF16, never expanded), small vectors (norms,
// biases, mHC parameters) lifted to float once. Built from already validated ModelFiles.
#include "engine/model/model_files.h"
#include "kernels/cpu/matmul.h"

#include <cstdint>
#include <string>
#include <vector>

namespace flint::engine {

using kernels::WeightView;

struct HyperConnectionWeights {  // one mHC site: hc_{attn,ffn} or hc_head
  const float* fn = nullptr;     // [mix, hc * d] F32 in the checkpoint
  std::size_t mixWidth = 0;      // (2 + hc) * hc for a block site, hc for the head
  std::vector<float> scale;      // [3] or [1]
  std::vector<float> base;       // [mix]
};

struct CompressorWeights {
  WeightView wkv, wgate;    // [c * width, d] BF16
  std::vector<float> ape;   // [ratio, c * width]
  std::vector<float> norm;  // [width]
};

struct AttentionWeights {
  WeightView wqA, wqB, wkv, woA, woB;
  std::vector<float> qNorm, kvNorm, sink;
  bool hasCompressor = false;
  CompressorWeights compressor;
  bool hasIndexer = false;
  WeightView indexerWqB, indexerWeightsProj;
  CompressorWeights indexerCompressor;
};

struct ExpertWeights {
  WeightView w1, w2, w3;  // gate, down, up
};

struct MoeWeights {
  WeightView gate;                    // [E, d] BF16, computed in fp32
  std::vector<float> bias;            // [E] (bias-routed layers)
  std::vector<std::int32_t> tid2eid;  // [vocab, top-k] (hash-routed layers)
  ExpertWeights shared;
  std::vector<ExpertWeights> experts;  // reached through ExpertStore, not directly
};

struct BlockWeights {
  std::int64_t ratio = 0;  // compress ratio: 0 window, 4 CSA, else HCA
  std::vector<float> attnNorm, ffnNorm;
  HyperConnectionWeights hcAttn, hcFfn;
  AttentionWeights attn;
  MoeWeights moe;
};

struct ModelWeights {
  const std::uint16_t* embed = nullptr;  // [vocab, d] BF16
  WeightView head;                       // [vocab, d] BF16
  std::vector<float> norm;
  HyperConnectionWeights hcHead;
  std::vector<BlockWeights> layers;
};

// The DSpark drafter (deepseek-v4.md §7.3, §7.5): window-only, bias-routed stage blocks, the
// tap projection, and the last stage's head parts (it shares the backbone's embed and head).
struct DrafterWeights {
  std::vector<BlockWeights> stages;
  WeightView mainProj;  // [d, stages * d]
  std::vector<float> mainNorm;
  std::vector<float> norm;  // the last stage's, before the shared head
  HyperConnectionWeights hcHead;
  const std::uint16_t* markovW1 = nullptr;  // [vocab, rank] BF16: the previous token's row
  WeightView markovW2;                      // [vocab, rank] BF16
  std::size_t markovRank = 0;
  std::vector<float> confidence;  // [d + rank]
};

// Binds every backbone tensor. Throws ModelError for a dtype the forward cannot use.
ModelWeights bindModelWeights(const ModelFiles& files);

// Binds the drafter's tensors; throws ModelError when the model has none.
DrafterWeights bindDrafterWeights(const ModelFiles& files);

}  // namespace flint::engine
