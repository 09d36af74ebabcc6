#pragma once
// Speculation's verify pass on the GPU: the CUDA backbone over one session's DeviceCache.
#include "engine/gpu/cuda_transformer.h"
#include "engine/gpu/device_cache_rollback.h"
#include "engine/spec/verify_target.h"

namespace flint::engine {

using CudaVerifyTarget = RollbackVerifyTarget<CudaTransformer, DeviceCache, DeviceCacheRollback>;

}  // namespace flint::engine
