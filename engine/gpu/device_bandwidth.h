#pragma once
// The device's own memory bandwidth, measured as flint-cli bench's reference for a GPU: large
// device-to-device copies, bytes read plus bytes written per second (what a kernel streaming
// weights could reach at best).
#include "engine/backend/cuda_ops.h"

namespace flint::engine {

double measureDeviceCopyBandwidth(const CudaOps& ops);

}  // namespace flint::engine
