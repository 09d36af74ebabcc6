#pragma once
// How long one routed expert's FFN takes on this CPU: the host side of ExpertPlacement.
#include "engine/model/linear.h"
#include "engine/model/moe.h"

#include <cstddef>

namespace flint::engine {

// Times one routed expert's FFN for a batch of `tokens` (the best of a few runs, on the expert's
// mapped weights) and returns the seconds per token.
double measureExpertSecondsPerToken(const LinearContext& ctx, const MoeShape& shape,
                                    const ExpertWeights& expert, std::size_t tokens);

}  // namespace flint::engine
