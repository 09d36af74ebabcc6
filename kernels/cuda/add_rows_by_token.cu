// Each token's routed rows added to its output in a fixed order (the MoE's combine after a
// grouped linear), so the sum does not depend on how the experts were scheduled.
#include "kernels/cuda/ops_common.cuh"

namespace flint::cuda {
namespace {

constexpr unsigned kThreads = 256;

// One thread per (token, column), grid-stride: a plain rounded add per routed row, in j order,
// as the CPU's `dst += src` loop does it (no FMA, no reassociation). The offsets and row
// indices live in device memory and are trusted.
__global__ void addRowsByTokenKernel(float* dst, const int* offsets, const int* rows,
                                     unsigned long long total, unsigned long long width,
                                     const float* src) {
  for (unsigned long long i = blockIdx.x * 1ull * blockDim.x + threadIdx.x; i < total;
       i += 1ull * blockDim.x * gridDim.x) {
    const unsigned long long t = i / width, c = i % width;
    float sum = dst[i];
    for (int j = offsets[t]; j < offsets[t + 1]; ++j)
      sum = __fadd_rn(sum, src[static_cast<unsigned long long>(rows[j]) * width + c]);
    dst[i] = sum;
  }
}

}  // namespace
}  // namespace flint::cuda

using namespace flint::cuda;

FLINT_CUDA_EXPORT int flint_cuda_add_rows_by_token(FlintCudaContext* ctx, float* dst,
                                                   const int* offsets, const int* rows,
                                                   FlintCudaSize tokens, FlintCudaSize width,
                                                   const float* src, FlintCudaStream* stream) {
  if (const int s = useDevice(ctx)) return s;
  if (tokens == 0 || width == 0) return FLINT_CUDA_OK;
  if (!dst || !offsets || !rows || !src)
    return fail("The CUDA add of rows by token was called with a null pointer.");
  const unsigned long long total = tokens * width;
  addRowsByTokenKernel<<<gridStrideBlocks(total, kThreads), kThreads, 0, rawStream(stream)>>>(
      dst, offsets, rows, total, width, src);
  return checkLaunch("addRowsByToken");
}
