#pragma once
// What a checkpoint holds and what running it costs, counted from its tensors: parameters
// (total and active per token), bytes per dtype, layer kinds, drafter stages, and the memory
// each tier needs. `flint-cli inspect` prints it.
//
// How parameters are counted: logical weights, so an FP4 byte holds two and `.scale` tensors
// count none; the shared embed/head matrices are counted once, in the backbone; drafter
// (`mtp.*`) tensors are counted apart. Active per token: every non-routed weight, plus top-k /
// n_routed_experts of each layer's routed experts.
#include "engine/model/dtype.h"
#include "engine/model/model_config.h"
#include "engine/model/tensor_store.h"

#include <cstdint>
#include <vector>

namespace flint::engine {

struct DTypeTotal {
  DType dtype;
  std::uint64_t tensors = 0;
  std::uint64_t bytes = 0;
};

struct ModelCensus {
  std::vector<DTypeTotal> byDType;  // dtypes present, in kAllDTypes order
  std::uint64_t tensorCount = 0;
  std::uint64_t totalBytes = 0;         // every weight resident: the all-in-RAM tier
  std::uint64_t routedExpertBytes = 0;  // routed experts + their scales: the tiered part
  std::uint64_t nonExpertBytes = 0;     // everything else: what stays on the GPU
  std::uint64_t expertBytes = 0;        // one routed expert (w1, w2, w3 + scales)

  std::uint64_t paramsTotal = 0;
  std::uint64_t paramsBackbone = 0;
  std::uint64_t paramsDrafter = 0;
  std::uint64_t paramsActiveBackbone = 0;  // per token through the backbone
  std::uint64_t paramsActiveDrafter = 0;   // per drafted position through all stages

  std::int64_t layersWindow = 0;
  std::int64_t layersCsa = 0;
  std::int64_t layersHca = 0;
  std::int64_t layersHash = 0;
  std::int64_t drafterStages = 0;

  // KV cache at BF16 (§4.10): compressed entries grow per token (CSA: head_dim/4 plus
  // index_head_dim/4 values, HCA: head_dim/128); window rings are a fixed cost per sequence.
  double kvBytesPerToken = 0.0;
  std::uint64_t kvWindowBytes = 0;
};

ModelCensus takeCensus(const ModelConfig& config, const TensorStore& weights);

}  // namespace flint::engine
