// What the module's .cu files share: the context, the per-thread error sentence, and the
// checks that turn a CUDA or cuBLASLt failure into that sentence and a status.
#pragma once
#include "kernels/cuda/abi.h"
#include "kernels/cuda/ops_abi.h"

#include <cublasLt.h>
#include <cuda_runtime.h>

#include <cmath>

#define FLINT_CUDA_EXPORT extern "C" __attribute__((visibility("default")))

struct FlintCudaContext {
  int ordinal = 0;
  cublasLtHandle_t lt = nullptr;
};

namespace flint::cuda {

// Blocks of `threads` for a grid-stride kernel over `count` items: enough to cover them, at
// least one, at most 65535 (the stride loop covers the rest).
inline unsigned gridStrideBlocks(unsigned long long count, unsigned threads = 256) {
  const unsigned long long blocks = (count + threads - 1) / threads;
  return unsigned(blocks < 65535 ? (blocks ? blocks : 1) : 65535);
}

// Sets this thread's last error to a printf-formatted sentence; returns FLINT_CUDA_ERROR.
int fail(const char* format, ...) __attribute__((format(printf, 1, 2)));
// "<what> (<error name>: <error string>)." as the last error; returns FLINT_CUDA_ERROR.
int failCuda(const char* what, cudaError_t err);
int failCublas(const char* what, cublasStatus_t status);

// Makes ctx's device current for this thread; a status.
int useDevice(FlintCudaContext* ctx);
// After a kernel launch: a launch error (bad configuration, no kernel image) as a status.
int checkLaunch(const char* kernel);

inline cudaStream_t rawStream(FlintCudaStream* stream) {
  return reinterpret_cast<cudaStream_t>(stream);
}

inline unsigned ceilDiv(unsigned long long a, unsigned long long b) {
  return unsigned((a + b - 1) / b);
}

// The first position of an op's run: from device memory when the op runs (a captured decode
// step's position changes between replays), else the value the op was called with.
__device__ inline long long runStart(long long start, const long long* startOnDevice) {
  return startOnDevice ? *startOnDevice : start;
}

// Reductions for blockDim.x a multiple of 32 (at most 1024); every thread gets the result.
// Call the block forms from all threads of the block.
__device__ inline float warpSum(float v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}
__device__ inline double warpSumDouble(double v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}
__device__ inline float warpMax(float v) {
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

// Combines one value per warp (in `shared`, 32 slots) after a warp-level reduction; `identity`
// pads the missing warps. The leading __syncthreads lets a block reuse `shared`.
template <typename T, typename WarpOp>
__device__ inline T blockCombine(T v, T* shared, T identity, WarpOp warpOp) {
  const unsigned lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;
  v = warpOp(v);
  __syncthreads();
  if (lane == 0) shared[warp] = v;
  __syncthreads();
  return warpOp(lane < warps ? shared[lane] : identity);
}

struct WarpSumOp {
  __device__ float operator()(float v) const { return warpSum(v); }
};
struct WarpSumDoubleOp {
  __device__ double operator()(double v) const { return warpSumDouble(v); }
};
struct WarpMaxOp {
  __device__ float operator()(float v) const { return warpMax(v); }
};

__device__ inline float blockSum(float v, float* shared) {
  return blockCombine(v, shared, 0.0f, WarpSumOp{});
}
__device__ inline double blockSumDouble(double v, double* shared) {
  return blockCombine(v, shared, 0.0, WarpSumDoubleOp{});
}
__device__ inline float blockMax(float v, float* shared) {
  return blockCombine(v, shared, -INFINITY, WarpMaxOp{});
}

// The larger of two (value, index) pairs, the lower index on equal values (std::max_element's
// and the CPU topK's order).
__device__ inline void keepLarger(float& v, unsigned& i, float otherV, unsigned otherI) {
  if (otherV > v || (otherV == v && otherI < i)) {
    v = otherV;
    i = otherI;
  }
}

// Block-wide keepLarger over every thread's (v, i); every thread gets the winner. The shared
// arrays hold 32 entries each.
__device__ inline void blockArgmax(float& v, unsigned& i, float* sharedV, unsigned* sharedI) {
  const unsigned lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;
  for (int o = 16; o > 0; o >>= 1)
    keepLarger(v, i, __shfl_xor_sync(0xffffffffu, v, o), __shfl_xor_sync(0xffffffffu, i, o));
  __syncthreads();  // the shared arrays may still be read from a previous call
  if (lane == 0) {
    sharedV[warp] = v;
    sharedI[warp] = i;
  }
  __syncthreads();
  v = sharedV[lane < warps ? lane : 0];
  i = sharedI[lane < warps ? lane : 0];  // warp 0's entry again: harmless for a maximum
  for (int o = 16; o > 0; o >>= 1)
    keepLarger(v, i, __shfl_xor_sync(0xffffffffu, v, o), __shfl_xor_sync(0xffffffffu, i, o));
}

}  // namespace flint::cuda
