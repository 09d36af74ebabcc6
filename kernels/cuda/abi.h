// The C interface of the CUDA module. The engine dlopens the module and resolves these
// symbols; nothing else crosses the boundary, so the module's C++ and CUDA runtime never
// meet the host's. Bump FLINT_CUDA_ABI_VERSION on any layout change.
#ifndef FLINT_KERNELS_CUDA_ABI_H
#define FLINT_KERNELS_CUDA_ABI_H

#ifdef __cplusplus
extern "C" {
#endif

#define FLINT_CUDA_ABI_VERSION 3  // 2: memory, streams and ops (ops_abi.h); 3: the forward pass
#define FLINT_CUDA_MAX_DEVICES 16

enum FlintCudaStatus {
  FLINT_CUDA_OK = 0,
  FLINT_CUDA_NO_DRIVER = 1,  // libcuda.so missing or too old for this runtime
  FLINT_CUDA_NO_DEVICE = 2,  // a driver, but no usable device
  FLINT_CUDA_ERROR = 3,      // anything else; the message says what
};

typedef struct FlintCudaDevice {
  char name[256];
  int ordinal;
  int computeMajor;
  int computeMinor;
  int multiprocessors;
  unsigned long long totalBytes;
  unsigned long long freeBytes;
} FlintCudaDevice;

typedef struct FlintCudaProbe {
  int status;          // FlintCudaStatus
  char message[512];   // a sentence for the user when status != OK
  int driverVersion;   // e.g. 13000 for 13.0; 0 when no driver
  int runtimeVersion;  // the CUDA runtime the module was built with
  unsigned long long cublasLtVersion;
  int deviceCount;
  FlintCudaDevice devices[FLINT_CUDA_MAX_DEVICES];
} FlintCudaProbe;

typedef int (*FlintCudaAbiVersionFn)(void);
typedef void (*FlintCudaProbeFn)(FlintCudaProbe* out);

#ifdef __cplusplus
}
#endif

#endif
