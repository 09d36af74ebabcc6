#pragma once
// Which device the engine computes on. Chosen once per process; the choice and, when the
// GPU is not used, the reason are logged once.
#include "engine/backend/cuda_module.h"

#include <string>

namespace flint::engine {

enum class ComputeBackendKind { Cpu, Cuda };

struct ComputeBackend {
  ComputeBackendKind kind = ComputeBackendKind::Cpu;
  std::string description;  // "CPU (avx512, 2 threads)" or "CUDA: NVIDIA H200 (139.8 GiB)"
  CudaProbeResult cuda;     // what the probe saw, for doctor and the GUI
};

// Probes the CUDA module and picks the backend. Set `preferCpu` to stay on the CPU.
ComputeBackend chooseComputeBackend(bool preferCpu = false);

}  // namespace flint::engine
