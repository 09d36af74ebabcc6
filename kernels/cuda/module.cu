// C entry points of the CUDA module (see abi.h). Kernels live in their own .cu files.
#include "kernels/cuda/abi.h"

#include <cublasLt.h>
#include <cuda_runtime.h>

#include <cstdio>
#include <cstring>

namespace {

void setMessage(FlintCudaProbe* out, const char* text, cudaError_t err) {
  std::snprintf(out->message, sizeof(out->message), "%s (%s: %s)", text, cudaGetErrorName(err),
                cudaGetErrorString(err));
}

}  // namespace

extern "C" __attribute__((visibility("default"))) int flint_cuda_abi_version(void) {
  return FLINT_CUDA_ABI_VERSION;
}

extern "C" __attribute__((visibility("default"))) void flint_cuda_probe(FlintCudaProbe* out) {
  std::memset(out, 0, sizeof(*out));
  cudaRuntimeGetVersion(&out->runtimeVersion);
  out->cublasLtVersion = cublasLtGetVersion();

  cudaError_t err = cudaDriverGetVersion(&out->driverVersion);
  if (err != cudaSuccess || out->driverVersion == 0) {
    out->status = FLINT_CUDA_NO_DRIVER;
    std::snprintf(out->message, sizeof(out->message),
                  "no NVIDIA driver was found (libcuda.so.1 is not installed or not loadable)");
    return;
  }
  int count = 0;
  err = cudaGetDeviceCount(&count);
  if (err == cudaErrorInsufficientDriver) {
    out->status = FLINT_CUDA_NO_DRIVER;
    setMessage(out, "the NVIDIA driver is older than the CUDA runtime Flint was built with", err);
    return;
  }
  if (err == cudaErrorNoDevice || (err == cudaSuccess && count == 0)) {
    out->status = FLINT_CUDA_NO_DEVICE;
    std::snprintf(out->message, sizeof(out->message),
                  "an NVIDIA driver is installed but no CUDA device is visible");
    return;
  }
  if (err != cudaSuccess) {
    out->status = FLINT_CUDA_ERROR;
    setMessage(out, "CUDA could not list the devices", err);
    return;
  }
  out->deviceCount = count < FLINT_CUDA_MAX_DEVICES ? count : FLINT_CUDA_MAX_DEVICES;
  for (int i = 0; i < out->deviceCount; ++i) {
    FlintCudaDevice& d = out->devices[i];
    cudaDeviceProp prop{};
    if (cudaGetDeviceProperties(&prop, i) != cudaSuccess) continue;
    std::snprintf(d.name, sizeof(d.name), "%s", prop.name);
    d.ordinal = i;
    d.computeMajor = prop.major;
    d.computeMinor = prop.minor;
    d.multiprocessors = prop.multiProcessorCount;
    d.totalBytes = prop.totalGlobalMem;
    size_t freeBytes = 0, totalBytes = 0;
    if (cudaSetDevice(i) == cudaSuccess && cudaMemGetInfo(&freeBytes, &totalBytes) == cudaSuccess)
      d.freeBytes = freeBytes;
  }
  out->status = FLINT_CUDA_OK;
}
