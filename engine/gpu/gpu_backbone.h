#pragma once
// The CUDA backbone a load asks for (LoadOptions::device): the module opened, the device's
// memory planned, the weights uploaded. With Cuda, anything that stops it is a ModelError
// sentence; with Auto, the same reason is logged and the engine stays on the CPU.
#include "engine/backend/cuda_ops.h"
#include "engine/engine.h"
#include "engine/gpu/cuda_transformer.h"

#include <memory>
#include <string>

namespace flint::engine {

struct GpuBackbone {
  std::unique_ptr<CudaOps> ops;
  std::unique_ptr<CudaTransformer> model;
  std::string description;  // "CUDA: NVIDIA H200 (139.8 GiB)"
};

// Null when the options keep the CPU, or (Auto) when the GPU cannot be used; `whyNot` then
// says why (empty when the CPU was asked for).
std::unique_ptr<GpuBackbone> openGpuBackbone(const Transformer& model, ExpertStore& below,
                                             const LoadOptions& options, kernels::ThreadPool* pool,
                                             std::string* whyNot);

}  // namespace flint::engine
