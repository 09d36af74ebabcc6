#pragma once
// What the host emulation of the CUDA module shares between its files: the context, the
// per-thread error sentence, and the checks an entry point makes before it runs. "Device
// memory" is host memory the module allocated, so every pointer an op is given can be checked
// against the allocation that holds it: a shape that reads past a buffer fails with a sentence
// here, where a real device would fault or read garbage.
#include "kernels/cpu/thread_pool.h"
#include "kernels/cuda/abi.h"
#include "kernels/cuda/ops_abi.h"

#include <mutex>

#define FLINT_HOST_OPS_EXPORT extern "C" __attribute__((visibility("default")))

struct FlintCudaContext {
  int ordinal = 0;
  // Matmul rows run on two threads; results do not depend on the pool (rows are independent).
  flint::kernels::ThreadPool pool{2};
  std::mutex poolMutex;  // the pool is not reentrant: a concurrent caller runs without it
};

struct FlintCudaStream {
  unsigned long long id = 0;
};

namespace flint::host_ops {

// Sets this thread's last error to a printf-formatted sentence; returns FLINT_CUDA_ERROR.
int fail(const char* format, ...) __attribute__((format(printf, 1, 2)));

// FLINT_CUDA_OK when ctx is not null and stream is null or a live stream; else fails.
int needContext(const FlintCudaContext* ctx, const FlintCudaStream* stream = nullptr);

// Bytes from p to the end of the live allocation (device or pinned) that holds it; 0 if none.
unsigned long long bytesFrom(const void* p);

// FLINT_CUDA_OK when bytes is 0 or [p, p + bytes) lies inside one live allocation; else fails
// with a sentence naming the op and the argument (`what`).
int needMemory(const char* op, const char* what, const void* p, unsigned long long bytes);

}  // namespace flint::host_ops
