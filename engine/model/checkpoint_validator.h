#pragma once
// Checks, before any math, that the checkpoint holds exactly the tensors its config implies:
// each present, with the right dtype and shape, and nothing the config does not explain.
#include "engine/model/model_config.h"
#include "engine/model/tensor_store.h"

#include <cstddef>
#include <string>
#include <vector>

namespace flint::engine {

// One line per problem: "<shard>: <tensor>: expected F8_E4M3 [128, 64], found BF16 [128, 64]".
std::vector<std::string> findCheckpointProblems(const ModelConfig& config,
                                                const TensorStore& weights);

// Throws one ModelError listing the first `maxListed` problems and how many more there are.
void validateCheckpoint(const ModelConfig& config, const TensorStore& weights,
                        std::size_t maxListed = 20);

}  // namespace flint::engine
