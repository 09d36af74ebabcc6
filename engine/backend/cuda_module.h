#pragma once
// The CUDA backend module, loaded with dlopen. Loading never throws and never aborts: on a
// machine without the module, the CUDA runtime libraries, a driver or a device, the result
// says why in a sentence and the engine stays on the CPU.
#include "kernels/cuda/abi.h"

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace flint::engine {

struct CudaDeviceInfo {
  int ordinal = 0;
  std::string name;
  int computeMajor = 0;
  int computeMinor = 0;
  int multiprocessors = 0;
  unsigned long long totalBytes = 0;
  unsigned long long freeBytes = 0;
};

struct CudaProbeResult {
  bool moduleLoaded = false;
  std::filesystem::path modulePath;  // where the module was found (empty if nowhere)
  bool usable = false;               // module loaded and at least one device
  std::string reason;                // when !usable: why, as a sentence
  int driverVersion = 0;             // 13000 means 13.0
  int runtimeVersion = 0;
  std::vector<CudaDeviceInfo> devices;
};

class CudaModule {
 public:
  ~CudaModule();
  CudaModule(const CudaModule&) = delete;
  CudaModule& operator=(const CudaModule&) = delete;

  // Opens the module at `path`; on failure returns null and sets `why`.
  static std::unique_ptr<CudaModule> open(const std::filesystem::path& path, std::string* why);

  CudaProbeResult probe() const;
  const std::filesystem::path& path() const { return path_; }
  // The module's exported symbol `name`, or null when it has none.
  void* symbol(const char* name) const;

 private:
  CudaModule(void* handle, std::filesystem::path path, FlintCudaProbeFn probeFn);
  void* handle_;
  std::filesystem::path path_;
  FlintCudaProbeFn probe_;
};

// Where the module is looked for: $FLINT_CUDA_MODULE alone when set, else ../lib/flint/ next
// to the running executable (build and install trees share this layout). Empty when this
// build has no CUDA backend and no override is set.
std::vector<std::filesystem::path> cudaModuleCandidates();

// Finds, opens and probes the module. Never throws.
CudaProbeResult probeCuda();

// A driver version as "13.0".
std::string formatCudaVersion(int version);

}  // namespace flint::engine
