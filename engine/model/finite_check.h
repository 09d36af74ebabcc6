#pragma once
// An optional load-time scan for NaN and Inf in the weights: a damaged download otherwise
// shows up only as a NaN logit. Reads every byte, so it is off unless asked for.
#include "engine/model/load_progress.h"
#include "engine/model/tensor_store.h"

namespace flint::engine {

// Throws ModelError naming the first tensor (and its shard) holding a NaN or Inf.
// `meter`, when given, hears the bytes scanned and may cancel.
void checkWeightsFinite(const TensorStore& weights, LoadProgressMeter* meter = nullptr);

}  // namespace flint::engine
