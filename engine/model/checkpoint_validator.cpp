#include "engine/model/checkpoint_validator.h"

#include "engine/model/model_error.h"
#include "engine/model/tensor_inventory.h"

#include <set>

namespace flint::engine {
namespace {

std::string describe(DType dtype, const std::vector<std::int64_t>& shape) {
  return std::string(dtypeName(dtype)) + " " + formatShape(shape);
}

}  // namespace

std::vector<std::string> findCheckpointProblems(const ModelConfig& config,
                                                const TensorStore& weights) {
  std::vector<std::string> problems;
  std::set<std::string, std::less<>> expectedNames;
  for (const ExpectedTensor& e : expectedTensors(config)) {
    expectedNames.insert(e.name);
    const TensorView* found = weights.find(e.name);
    if (!found) {
      problems.push_back(e.name + ": missing (expected " + describe(e.dtype, e.shape) + ")");
    } else if (found->dtype() != e.dtype || found->shape() != e.shape) {
      problems.push_back(found->shardName() + ": " + e.name + ": expected " +
                         describe(e.dtype, e.shape) + ", found " +
                         describe(found->dtype(), found->shape()));
    }
  }
  for (const TensorView& t : weights.tensors()) {
    if (!expectedNames.contains(t.name()))
      problems.push_back(t.shardName() + ": " + t.name() + ": not implied by config.json (" +
                         describe(t.dtype(), t.shape()) + ")");
  }
  return problems;
}

void validateCheckpoint(const ModelConfig& config, const TensorStore& weights,
                        std::size_t maxListed) {
  const auto problems = findCheckpointProblems(config, weights);
  if (problems.empty()) return;
  std::string message = "the weights do not match config.json (" + std::to_string(problems.size()) +
                        (problems.size() == 1 ? " problem" : " problems") + "):";
  for (std::size_t i = 0; i < problems.size() && i < maxListed; ++i)
    message += "\n  " + problems[i];
  if (problems.size() > maxListed)
    message += "\n  ... and " + std::to_string(problems.size() - maxListed) + " more";
  throw ModelError(message);
}

}  // namespace flint::engine
