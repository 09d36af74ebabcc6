// Linear on the device, W kept in its checkpoint format: y[t, r] = sum_c W[r, c] x[t, c].
// Decode (few tokens): one warp per output row dequantizes W on the fly and multiplies it with
// up to kPassTokens token rows in the same pass. The grouped linear (routed experts) runs the
// same passes for many weights in one launch. Prefill: see linear_gemm.cu.
#include "kernels/cuda/linear_common.cuh"
#include "kernels/cuda/ops_common.cuh"
#include "kernels/cuda/quant_decode.cuh"

namespace flint::cuda {
namespace {

constexpr unsigned kPassTokens = 16;   // token rows multiplied per pass over W
constexpr unsigned kRowsPerBlock = 8;  // one warp per output row, 8 warps per block
constexpr unsigned long long kMaxGridX = 0x7fffffffull, kMaxGroups = 65535;  // grid limits

// One pass of the calling warp over row r of W: lane l sums columns c = l, l + 32, ... for
// every token, then the warp adds its 32 partial sums. x: [tokens, cols], y: [tokens, rows],
// tokens <= kPassTokens. Both kernels call it, so a grouped row is bit-identical to a plain one.
__device__ inline void linearRowPass(const FlintCudaWeight& w, unsigned long long r, const float* x,
                                     unsigned tokens, float* y) {
  const unsigned lane = threadIdx.x % 32;
  float acc[kPassTokens] = {};
  for (unsigned long long c = lane; c < w.cols; c += 32) {
    const float wv = weightAt(w, r, c);
#pragma unroll
    for (unsigned t = 0; t < kPassTokens; ++t)
      if (t < tokens) acc[t] = fmaf(wv, x[t * w.cols + c], acc[t]);
  }
#pragma unroll
  for (unsigned t = 0; t < kPassTokens; ++t) {
    if (t >= tokens) break;  // uniform across the warp
    const float sum = warpSum(acc[t]);
    if (lane == 0) y[t * w.rows + r] = sum;
  }
}

// Grid: ceil(rows / 8) blocks of 256 threads; warp w of block b owns row r = 8b + w.
__global__ void linearRowsKernel(FlintCudaWeight w, const float* x, unsigned tokens, float* y) {
  const unsigned long long r = blockIdx.x * 1ull * kRowsPerBlock + threadIdx.x / 32;
  if (r >= w.rows) return;  // r is the same for the whole warp, so the warp leaves together
  linearRowPass(w, r, x, tokens, y);
}

// Grid: (ceil(rows / 8), groups) blocks of 256 threads; block (b, g) owns rows 8b .. 8b + 7 of
// group g's weight and runs all of the group's passes. The groups live in device memory, so
// the host cannot check them: each group's format and pointers are trusted, and its shape is
// taken from the launch (rows, cols), so x and y are addressed as the host checked them.
__global__ void groupedLinearKernel(const FlintCudaLinearGroup* groups, unsigned long long rows,
                                    unsigned long long cols, const float* x, float* y) {
  const FlintCudaLinearGroup group = groups[blockIdx.y];
  const unsigned long long r = blockIdx.x * 1ull * kRowsPerBlock + threadIdx.x / 32;
  if (group.tokens == 0 || r >= rows) return;
  FlintCudaWeight w = group.w;
  w.rows = rows;
  w.cols = cols;
  for (unsigned long long t0 = 0; t0 < group.tokens; t0 += kPassTokens) {
    const unsigned long long row = group.firstRow + t0;
    const unsigned pass =
        unsigned(group.tokens - t0 < kPassTokens ? group.tokens - t0 : kPassTokens);
    linearRowPass(w, r, x + row * cols, pass, y + row * rows);
  }
}

}  // namespace

int checkWeight(const FlintCudaWeight* w, const void* x, const void* y) {
  if (!w || !w->data || !x || !y) return fail("A CUDA linear was called with a null pointer.");
  if (w->format < FLINT_CUDA_WEIGHT_F32 || w->format > FLINT_CUDA_WEIGHT_FP4_GROUP32)
    return fail("A CUDA linear was given an unknown weight format (%d).", w->format);
  const bool quantized =
      w->format == FLINT_CUDA_WEIGHT_FP8_BLOCK128 || w->format == FLINT_CUDA_WEIGHT_FP4_GROUP32;
  if (quantized && !w->scales)
    return fail("A quantized weight was given to a CUDA linear without its scales.");
  if (w->rows == 0 || w->cols == 0) return fail("A CUDA linear was given an empty weight.");
  return FLINT_CUDA_OK;
}

}  // namespace flint::cuda

using namespace flint::cuda;

FLINT_CUDA_EXPORT int flint_cuda_linear(FlintCudaContext* ctx, const FlintCudaWeight* w,
                                        const float* x, FlintCudaSize tokens, float* y,
                                        FlintCudaStream* stream) {
  if (const int s = useDevice(ctx)) return s;
  if (tokens == 0) return FLINT_CUDA_OK;
  if (const int s = checkWeight(w, x, y)) return s;
  const unsigned blocks = ceilDiv(w->rows, kRowsPerBlock);
  for (FlintCudaSize t0 = 0; t0 < tokens; t0 += kPassTokens) {
    const unsigned pass = unsigned(tokens - t0 < kPassTokens ? tokens - t0 : kPassTokens);
    linearRowsKernel<<<blocks, kRowsPerBlock * 32, 0, rawStream(stream)>>>(*w, x + t0 * w->cols,
                                                                           pass, y + t0 * w->rows);
    if (const int s = checkLaunch("linearRows")) return s;
  }
  return FLINT_CUDA_OK;
}

FLINT_CUDA_EXPORT int flint_cuda_grouped_linear(FlintCudaContext* ctx,
                                                const FlintCudaLinearGroup* groups,
                                                FlintCudaSize count, FlintCudaSize rows,
                                                FlintCudaSize cols, const float* x, float* y,
                                                FlintCudaStream* stream) {
  if (const int s = useDevice(ctx)) return s;
  if (count == 0) return FLINT_CUDA_OK;
  if (!groups || !x || !y) return fail("A CUDA grouped linear was called with a null pointer.");
  if (rows == 0 || cols == 0) return fail("A CUDA grouped linear was given an empty weight shape.");
  if (count > kMaxGroups || (rows + kRowsPerBlock - 1) / kRowsPerBlock > kMaxGridX)
    return fail(
        "A CUDA grouped linear takes at most %llu groups and %llu rows, not %llu groups of %llu "
        "rows.",
        kMaxGroups, kMaxGridX * kRowsPerBlock, count, rows);
  const dim3 grid(ceilDiv(rows, kRowsPerBlock), unsigned(count));
  groupedLinearKernel<<<grid, kRowsPerBlock * 32, 0, rawStream(stream)>>>(groups, rows, cols, x, y);
  return checkLaunch("groupedLinear");
}
