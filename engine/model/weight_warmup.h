#pragma once
// Reads the weights every token uses into memory while the model loads. Mapped weights are
// otherwise read from disk by page faults during the first reply, which then takes minutes on
// a large checkpoint while the load claimed to be done. Routed experts are left to the expert
// store and the page cache: most tokens never touch most of them.
#include "engine/model/load_progress.h"
#include "engine/model/tensor_store.h"

#include <cstdint>

namespace flint::engine {

// True for the tensors warmWeights reads: all but the routed experts.
bool readEveryToken(const TensorView& tensor);

// Faults in the pages of every tensor readEveryToken selects, reporting bytes through `meter`
// (which may cancel). Returns the bytes read.
std::uint64_t warmWeights(const TensorStore& weights, LoadProgressMeter& meter);

}  // namespace flint::engine
