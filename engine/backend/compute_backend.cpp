#include "engine/backend/compute_backend.h"

#include "engine/logging/log.h"
#include "kernels/cpu/cpu_features.h"

#include <cstdio>
#include <thread>

namespace flint::engine {

ComputeBackend chooseComputeBackend(bool preferCpu) {
  ComputeBackend b;
  b.cuda = probeCuda();
  auto log = log::logger("engine");
  if (b.cuda.usable && !preferCpu) {
    const auto& d = b.cuda.devices.front();
    char mem[32];
    std::snprintf(mem, sizeof mem, "%.1f GiB", double(d.totalBytes) / (1ull << 30));
    b.kind = ComputeBackendKind::Cuda;
    b.description = "CUDA: " + d.name + " (" + mem + ")";
    log->info("compute backend: {}", b.description);
    return b;
  }
  const auto& cpu = kernels::cpuFeatures();
  b.kind = ComputeBackendKind::Cpu;
  b.description = std::string("CPU (") + kernels::bestKernelIsa(cpu) + ", " +
                  std::to_string(std::thread::hardware_concurrency()) + " threads)";
  if (preferCpu)
    log->info("compute backend: {} (the GPU was turned off by the user)", b.description);
  else
    log->info("running on the CPU: {}", b.cuda.reason);
  return b;
}

}  // namespace flint::engine
