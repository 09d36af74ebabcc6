#pragma once
// What `flint-cli doctor` (and later the setup wizard) knows about this machine.
#include "engine/backend/cuda_module.h"
#include "kernels/cpu/cpu_features.h"

#include <filesystem>
#include <string>
#include <vector>

namespace flint::app {

struct MemoryInfo {
  unsigned long long totalBytes = 0;
  unsigned long long availableBytes = 0;
};

struct DiskInfo {
  std::filesystem::path path;        // the data directory
  std::filesystem::path measuredAt;  // the nearest existing folder, if the data dir is not made yet
  unsigned long long freeBytes = 0;
  unsigned long long totalBytes = 0;
  std::string error;  // when it could not be measured
};

struct SystemReport {
  std::string flintVersion;
  std::string cpuModel;
  kernels::CpuFeatures cpu;
  std::string kernelIsa;  // "avx512", "avx2", "scalar"
  unsigned logicalCores = 0;
  unsigned physicalCores = 0;  // 0 when unknown
  MemoryInfo memory;
  engine::CudaProbeResult gpu;
  DiskInfo disk;
  std::vector<std::string> advice;  // sentences
};

// What `--device auto` would compute on: the first usable GPU, else the CPU and the probe's
// reason. The default stays the CPU either way: the CUDA backbone is opt-in (--device cuda).
struct ComputeSummary {
  bool gpu = false;
  std::string device;                       // "NVIDIA H200" or "CPU (avx512, 16 threads)"
  unsigned long long memoryTotalBytes = 0;  // the GPU's; 0 on the CPU
  unsigned long long memoryFreeBytes = 0;
  std::string reason;    // on the CPU: why no GPU is used
  std::string sentence;  // all of the above, for doctor's text
};

ComputeSummary summarizeCompute(const SystemReport& report);

SystemReport collectSystemReport();
// /proc/meminfo now (zeros where it cannot be read).
MemoryInfo readMemoryInfo();

// Parsers, exposed for tests: /proc/meminfo and /proc/cpuinfo contents.
MemoryInfo parseMeminfo(const std::string& text);
unsigned countPhysicalCores(const std::string& cpuinfo);
std::string cpuModelFromCpuinfo(const std::string& cpuinfo);

// The advice for a report, in words (fills nothing else).
std::vector<std::string> adviseFor(const SystemReport& report);

std::string formatBytes(unsigned long long bytes);  // "23.4 GiB"

}  // namespace flint::app
