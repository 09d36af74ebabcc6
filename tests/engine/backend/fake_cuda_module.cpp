// A stand-in for the CUDA module, for tests on machines without a GPU: only the probe's entry
// points, reporting one device, at interface version FAKE_ABI_VERSION. Built twice: at the
// current version (so the ops' entry points are what is missing) and at an old one.
#include "kernels/cuda/abi.h"

#include <cstdio>
#include <cstring>

extern "C" __attribute__((visibility("default"))) int flint_cuda_abi_version(void) {
  return FAKE_ABI_VERSION;
}

extern "C" __attribute__((visibility("default"))) void flint_cuda_probe(FlintCudaProbe* out) {
  std::memset(out, 0, sizeof(*out));
  out->status = FLINT_CUDA_OK;
  out->driverVersion = 13000;
  out->runtimeVersion = 13000;
  out->deviceCount = 1;
  std::snprintf(out->devices[0].name, sizeof(out->devices[0].name), "Fake GPU");
  out->devices[0].totalBytes = 1ull << 30;
  out->devices[0].freeBytes = 1ull << 30;
}
