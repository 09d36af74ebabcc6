// Fake quantization to a small float format on the device, as kernels/cpu/vector_ops.cpp's
// fakeQuant: one kernel for every format, which differ only in their constants. _rn intrinsics
// keep nvcc from fusing what the CPU computes as separate roundings, so results are bit exact.
#pragma once
#include "kernels/cuda/ops_common.cuh"

namespace flint::cuda {

// e4m3: 3 mantissa bits, smallest normal 2^-6, largest value 448.
struct E4m3Format {
  static constexpr int kMantissaBits = 3;
  static constexpr float kMinNormal = 0x1p-6f;
  static constexpr float kQmax = 448.0f;
  static constexpr float kAmaxFloor = 1e-4f;
  static constexpr const char* kName = "fakeQuantE4m3";
};

// e2m1: 1 mantissa bit, smallest normal 1 (so below 1 the grid is 0, 0.5, 1), largest value 6.
// amax is floored at 6 * 2^-126, so the scale stays a normal float.
struct E2m1Format {
  static constexpr int kMantissaBits = 1;
  static constexpr float kMinNormal = 1.0f;
  static constexpr float kQmax = 6.0f;
  static constexpr float kAmaxFloor = 6.0f * 0x1p-126f;
  static constexpr const char* kName = "fakeQuantE2m1";
};

// kernels/cpu/vector_ops.cpp's roundMantissa and roundMinifloat.
template <int kMantissaBits>
__device__ inline float roundMantissa(float v) {
  constexpr int kDrop = 23 - kMantissaBits;
  unsigned bits = __float_as_uint(v);
  bits += (1u << (kDrop - 1)) - 1 + ((bits >> kDrop) & 1u);
  return __uint_as_float(bits & ~((1u << kDrop) - 1));
}

template <typename Format>
__device__ inline float roundMinifloat(float v) {
  constexpr int kBits = Format::kMantissaBits;
  constexpr float kMinNormal = Format::kMinNormal;
  const float a = fabsf(v);
  const float r = a < kMinNormal
                      ? __fsub_rn(roundMantissa<kBits>(__fadd_rn(a, kMinNormal)), kMinNormal)
                      : roundMantissa<kBits>(a);
  return copysignf(r, v);
}

// One warp per quantization block: warp g of the grid owns block g % blocksPerRow of row
// g / blocksPerRow. amax (floored), the power-of-two scale 2^ceil(log2(amax / qmax)), then each
// value clamped, rounded to the format and scaled back.
template <typename Format>
__global__ void fakeQuantKernel(float* x, unsigned long long rows, unsigned long long n,
                                unsigned long long block) {
  constexpr float kQmax = Format::kQmax;
  const unsigned long long blocksPerRow = (n + block - 1) / block;
  const unsigned long long g = (blockIdx.x * 1ull * blockDim.x + threadIdx.x) / 32;
  if (g >= rows * blocksPerRow) return;  // whole warps leave together
  const unsigned lane = threadIdx.x % 32;
  const unsigned long long begin = (g / blocksPerRow) * n + (g % blocksPerRow) * block;
  const unsigned long long end = begin + min(block, n - (g % blocksPerRow) * block);
  float amax = Format::kAmaxFloor;
  for (unsigned long long i = begin + lane; i < end; i += 32) amax = fmaxf(amax, fabsf(x[i]));
  amax = warpMax(amax);
  int e = 0;
  const float m = frexpf(amax / kQmax, &e);
  const int exponent = m == 0.5f ? e - 1 : e;  // an exact power of two is its own scale
  const float scale = ldexpf(1.0f, exponent), inverse = ldexpf(1.0f, -exponent);
  for (unsigned long long i = begin + lane; i < end; i += 32) {
    const float q = fminf(fmaxf(__fmul_rn(x[i], inverse), -kQmax), kQmax);
    x[i] = __fmul_rn(roundMinifloat<Format>(q), scale);
  }
}

// The entry points' body: checks, then one warp per block of every row; a status.
template <typename Format>
int launchFakeQuant(FlintCudaContext* ctx, float* x, FlintCudaSize rows, FlintCudaSize n,
                    FlintCudaSize block, FlintCudaStream* stream) {
  constexpr unsigned kThreads = 256;
  if (const int s = useDevice(ctx)) return s;
  if (rows == 0 || n == 0) return FLINT_CUDA_OK;
  if (!x) return fail("The CUDA op %s was called with a null pointer.", Format::kName);
  if (block == 0) return fail("The CUDA op %s was given a block of 0 values.", Format::kName);
  const unsigned long long warps = rows * ((n + block - 1) / block);
  const unsigned long long blocks = (warps * 32 + kThreads - 1) / kThreads;
  if (blocks >= (1ull << 31))
    return fail("The CUDA op %s was given more blocks than fit in one launch.", Format::kName);
  fakeQuantKernel<Format><<<unsigned(blocks), kThreads, 0, rawStream(stream)>>>(x, rows, n, block);
  return checkLaunch(Format::kName);
}

}  // namespace flint::cuda
