#include "engine/gpu/gpu_backbone.h"

#include "engine/logging/log.h"
#include "engine/model/model_error.h"

#include <cstdio>

namespace flint::engine {

namespace {

std::size_t expertBudget(const LoadOptions& o, const DeviceMemoryPlan& unbounded) {
  const auto fraction =
      std::size_t(o.deviceExpertFraction * double(unbounded.routedExperts * unbounded.expertBytes));
  return std::max(o.deviceExpertBytes, fraction);
}

}  // namespace

std::unique_ptr<GpuBackbone> openGpuBackbone(const Transformer& model, ExpertStore& below,
                                             const LoadOptions& options, kernels::ThreadPool* pool,
                                             std::string* whyNot) {
  if (options.device == ComputeDevice::Cpu) return nullptr;
  auto refuse = [&](const std::string& why) -> std::unique_ptr<GpuBackbone> {
    if (options.device == ComputeDevice::Cuda)
      throw ModelError("The model cannot run on the GPU: " + why);
    log::logger("engine")->warn("computing on the CPU: {}", why);
    if (whyNot) *whyNot = why;
    return nullptr;
  };
  try {
    auto gpu = std::make_unique<GpuBackbone>();
    gpu->ops = CudaOps::create(0);
    const CudaDeviceInfo& device = gpu->ops->probe().devices.at(0);
    DeviceMemoryRequest request;
    request.deviceName = device.name;
    request.totalBytes = device.totalBytes;
    request.freeBytes = device.freeBytes;
    request.contextTokens = options.deviceContextTokens;
    DeviceMemoryPlan plan = planDeviceMemory(model.config(), model.weights(), request);
    if (options.deviceExpertBytes || options.deviceExpertFraction > 0) {
      request.expertBudgetBytes = expertBudget(options, plan);
      plan = planDeviceMemory(model.config(), model.weights(), request);
    }
    if (!plan.fits) return refuse(plan.explanation);
    gpu->model = std::make_unique<CudaTransformer>(*gpu->ops, model, below, plan, pool);
    char size[32];
    std::snprintf(size, sizeof(size), "%.1f GiB", double(device.totalBytes) / double(1ull << 30));
    gpu->description = "CUDA: " + device.name + " (" + size + ")";
    log::logger("engine")->info("computing on {}: {}", gpu->description, plan.explanation);
    return gpu;
  } catch (const CudaError& e) {
    return refuse(e.what());
  }
}

}  // namespace flint::engine
