// What the two linear paths share.
#pragma once
#include "kernels/cuda/ops_abi.h"

namespace flint::cuda {

// Null pointers, unknown formats, missing scales and empty shapes as a sentence and a status.
int checkWeight(const FlintCudaWeight* w, const void* x, const void* y);

}  // namespace flint::cuda
