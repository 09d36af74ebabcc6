#pragma once
// An optional load-time scan for NaN and Inf in the weights: a damaged download otherwise
// shows up only as a NaN logit. Reads every byte, so it is off unless asked for.
#include "engine/model/tensor_store.h"

namespace flint::engine {

// Throws ModelError naming the first tensor (and its shard) holding a NaN or Inf.
void checkWeightsFinite(const TensorStore& weights);

}  // namespace flint::engine
