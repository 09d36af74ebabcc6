#pragma once
// Every tensor a config implies, by native name, with dtype and shape (deepseek-v4.md §5.1,
// §7.5): top level, each backbone layer by its attention kind and routing, and the drafter
// stages (V3-style MTP, or DSpark when the config has dspark_* fields).
#include "engine/model/dtype.h"
#include "engine/model/model_config.h"

#include <cstdint>
#include <string>
#include <vector>

namespace flint::engine {

struct ExpectedTensor {
  std::string name;
  DType dtype;
  std::vector<std::int64_t> shape;
};

// In a stable order (top level, layers, stages); FP8/FP4 weights are followed by their
// `.scale` sibling. Uses config.nDraftStages for the drafter.
std::vector<ExpectedTensor> expectedTensors(const ModelConfig& config);

std::string formatShape(const std::vector<std::int64_t>& shape);  // "[128, 64]"

}  // namespace flint::engine
