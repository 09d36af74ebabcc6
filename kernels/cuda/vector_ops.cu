// The small vector ops of kernels/cpu/vector_ops.h on the device, fp32, rows at a time. Where
// the CPU's arithmetic is exact or elementwise, the same operations in the same order (and no
// fused multiply-add) make the results bit for bit equal; reductions differ only in order.
#include "kernels/cuda/fake_quant.cuh"
#include "kernels/cuda/ops_common.cuh"

namespace flint::cuda {
namespace {

constexpr unsigned kThreads = 256;
constexpr unsigned long long kMaxHadamard = 8192;  // floats in shared memory per row

// One block per row: a double sum of squares (as the CPU does), then the scaled copy.
__global__ void rmsNormKernel(const float* x, const float* w, unsigned long long n, float eps,
                              float* out) {
  __shared__ double partial[32];
  const float* xr = x + blockIdx.x * n;
  float* outr = out + blockIdx.x * n;
  double sum = 0;
  for (unsigned long long i = threadIdx.x; i < n; i += blockDim.x) sum += double(xr[i]) * xr[i];
  sum = blockSumDouble(sum, partial);
  const float r = 1.0f / sqrtf(float(sum / double(n)) + eps);
  for (unsigned long long i = threadIdx.x; i < n; i += blockDim.x)
    outr[i] = (w ? w[i] : 1.0f) * (xr[i] * r);  // each thread rewrites only what it read
}

// One thread per (row, pair), grid-stride over rows * pairs. _rn intrinsics keep nvcc from
// fusing the products into the sums, as the CPU computes them.
__global__ void rotatePairsKernel(float* x, unsigned long long rows, unsigned long long rowStride,
                                  const float* cos, const float* sin,
                                  unsigned long long rowsPerPosition, unsigned long long pairs,
                                  bool conjugate) {
  for (unsigned long long i = blockIdx.x * 1ull * blockDim.x + threadIdx.x; i < rows * pairs;
       i += 1ull * blockDim.x * gridDim.x) {
    const unsigned long long row = i / pairs, p = i % pairs;
    float* xp = x + row * rowStride + 2 * p;
    const unsigned long long angle = (row / rowsPerPosition) * pairs + p;
    const float a = xp[0], b = xp[1], c = cos[angle], s = conjugate ? -sin[angle] : sin[angle];
    xp[0] = __fsub_rn(__fmul_rn(a, c), __fmul_rn(b, s));
    xp[1] = __fadd_rn(__fmul_rn(a, s), __fmul_rn(b, c));
  }
}

// One block per row: max, exponentials stored in place with their sum, then the division.
__global__ void softmaxKernel(float* x, unsigned long long n) {
  __shared__ float partial[32];
  float* xr = x + blockIdx.x * n;
  float m = -INFINITY;
  for (unsigned long long i = threadIdx.x; i < n; i += blockDim.x) m = fmaxf(m, xr[i]);
  m = blockMax(m, partial);
  float sum = 0;
  for (unsigned long long i = threadIdx.x; i < n; i += blockDim.x) sum += (xr[i] = expf(xr[i] - m));
  sum = blockSum(sum, partial);
  for (unsigned long long i = threadIdx.x; i < n; i += blockDim.x) xr[i] /= sum;
}

// Elementwise, grid-stride: round to the nearest bf16, ties to even; inf and NaN kept.
__global__ void roundToBf16Kernel(float* x, unsigned long long n) {
  for (unsigned long long i = blockIdx.x * 1ull * blockDim.x + threadIdx.x; i < n;
       i += 1ull * blockDim.x * gridDim.x) {
    unsigned bits = __float_as_uint(x[i]);
    if ((bits & 0x7f800000u) != 0x7f800000u) bits += 0x7fffu + ((bits >> 16) & 1u);
    x[i] = __uint_as_float(bits & 0xffff0000u);
  }
}

// One block per row of n (a power of two) in shared memory: log2(n) butterfly stages; in the
// stage of width `len`, pair p joins elements i = (p / len) * 2len + p % len and i + len.
__global__ void hadamardKernel(float* x, unsigned long long n) {
  extern __shared__ float v[];
  float* xr = x + blockIdx.x * n;
  for (unsigned long long i = threadIdx.x; i < n; i += blockDim.x) v[i] = xr[i];
  __syncthreads();
  for (unsigned long long len = 1; len < n; len <<= 1) {
    for (unsigned long long p = threadIdx.x; p < n / 2; p += blockDim.x) {
      const unsigned long long i = (p / len) * 2 * len + p % len;
      const float a = v[i], b = v[i + len];
      v[i] = a + b;
      v[i + len] = a - b;
    }
    __syncthreads();
  }
  const float scale = 1.0f / sqrtf(float(n));
  for (unsigned long long i = threadIdx.x; i < n; i += blockDim.x) xr[i] = v[i] * scale;
}

// One block per row: each thread scans its strided indices upward, then the block picks the
// largest value, the lowest index on ties. An empty row gives 0, as the CPU's argmax does.
__global__ void argmaxKernel(const float* values, unsigned long long n, int* out) {
  __shared__ float sharedV[32];
  __shared__ unsigned sharedI[32];
  const float* row = values + blockIdx.x * n;
  float best = -INFINITY;
  unsigned index = unsigned(n);  // loses every tie against a real index
  for (unsigned long long i = threadIdx.x; i < n; i += blockDim.x)
    keepLarger(best, index, row[i], unsigned(i));
  blockArgmax(best, index, sharedV, sharedI);
  if (threadIdx.x == 0) out[blockIdx.x] = index >= n ? 0 : int(index);
}

// Elementwise over [tokens, n], grid-stride; engine/model/moe.cpp's clamped SwiGLU.
__global__ void swigluKernel(float* g, const float* u, const float* tokenWeights,
                             unsigned long long count, unsigned long long n, float limit) {
  for (unsigned long long i = blockIdx.x * 1ull * blockDim.x + threadIdx.x; i < count;
       i += 1ull * blockDim.x * gridDim.x) {
    const float up = fminf(fmaxf(u[i], -limit), limit);
    const float gate = fminf(g[i], limit);
    float y = (gate / (1.0f + expf(-gate))) * up;
    if (tokenWeights) y *= tokenWeights[i / n];
    g[i] = y;
  }
}

int needPointers(const char* op, const void* a, const void* b = reinterpret_cast<const void*>(1),
                 const void* c = reinterpret_cast<const void*>(1)) {
  if (a && b && c) return FLINT_CUDA_OK;
  return fail("The CUDA op %s was called with a null pointer.", op);
}

// Rows are launched as grid.x, so they must fit in one launch.
int needRows(const char* op, unsigned long long rows) {
  if (rows < (1ull << 31)) return FLINT_CUDA_OK;
  return fail("The CUDA op %s was given %llu rows; at most 2^31 - 1 fit in one launch.", op, rows);
}

}  // namespace
}  // namespace flint::cuda

using namespace flint::cuda;

FLINT_CUDA_EXPORT int flint_cuda_rms_norm(FlintCudaContext* ctx, const float* x, const float* w,
                                          FlintCudaSize rows, FlintCudaSize n, float eps,
                                          float* out, FlintCudaStream* stream) {
  if (const int s = useDevice(ctx)) return s;
  if (rows == 0 || n == 0) return FLINT_CUDA_OK;
  if (const int s = needPointers("rmsNorm", x, out)) return s;
  if (const int s = needRows("rmsNorm", rows)) return s;
  rmsNormKernel<<<unsigned(rows), kThreads, 0, rawStream(stream)>>>(x, w, n, eps, out);
  return checkLaunch("rmsNorm");
}

FLINT_CUDA_EXPORT int flint_cuda_rotate_pairs(FlintCudaContext* ctx, float* x, FlintCudaSize rows,
                                              FlintCudaSize rowStride, const float* cos,
                                              const float* sin, FlintCudaSize rowsPerPosition,
                                              FlintCudaSize pairs, int conjugate,
                                              FlintCudaStream* stream) {
  if (const int s = useDevice(ctx)) return s;
  if (rows == 0 || pairs == 0) return FLINT_CUDA_OK;
  if (const int s = needPointers("rotatePairs", x, cos, sin)) return s;
  if (rowsPerPosition == 0)
    return fail("The CUDA op rotatePairs was given 0 rows per position; it needs at least 1.");
  rotatePairsKernel<<<gridStrideBlocks(rows * pairs), kThreads, 0, rawStream(stream)>>>(
      x, rows, rowStride, cos, sin, rowsPerPosition, pairs, conjugate != 0);
  return checkLaunch("rotatePairs");
}

FLINT_CUDA_EXPORT int flint_cuda_softmax_rows(FlintCudaContext* ctx, float* x, FlintCudaSize rows,
                                              FlintCudaSize n, FlintCudaStream* stream) {
  if (const int s = useDevice(ctx)) return s;
  if (rows == 0 || n == 0) return FLINT_CUDA_OK;
  if (const int s = needPointers("softmax", x)) return s;
  if (const int s = needRows("softmax", rows)) return s;
  softmaxKernel<<<unsigned(rows), kThreads, 0, rawStream(stream)>>>(x, n);
  return checkLaunch("softmax");
}

FLINT_CUDA_EXPORT int flint_cuda_round_to_bf16(FlintCudaContext* ctx, float* x, FlintCudaSize n,
                                               FlintCudaStream* stream) {
  if (const int s = useDevice(ctx)) return s;
  if (n == 0) return FLINT_CUDA_OK;
  if (const int s = needPointers("roundToBf16", x)) return s;
  roundToBf16Kernel<<<gridStrideBlocks(n), kThreads, 0, rawStream(stream)>>>(x, n);
  return checkLaunch("roundToBf16");
}

FLINT_CUDA_EXPORT int flint_cuda_fake_quant_e4m3(FlintCudaContext* ctx, float* x,
                                                 FlintCudaSize rows, FlintCudaSize n,
                                                 FlintCudaSize block, FlintCudaStream* stream) {
  return launchFakeQuant<E4m3Format>(ctx, x, rows, n, block, stream);
}

FLINT_CUDA_EXPORT int flint_cuda_hadamard(FlintCudaContext* ctx, float* x, FlintCudaSize rows,
                                          FlintCudaSize n, FlintCudaStream* stream) {
  if (const int s = useDevice(ctx)) return s;
  if (rows == 0 || n == 0) return FLINT_CUDA_OK;
  if (const int s = needPointers("hadamard", x)) return s;
  if (const int s = needRows("hadamard", rows)) return s;
  if ((n & (n - 1)) != 0 || n > kMaxHadamard)
    return fail("The CUDA Hadamard transform needs a power of two up to %llu values, not %llu.",
                kMaxHadamard, n);
  hadamardKernel<<<unsigned(rows), kThreads, n * sizeof(float), rawStream(stream)>>>(x, n);
  return checkLaunch("hadamard");
}

FLINT_CUDA_EXPORT int flint_cuda_argmax(FlintCudaContext* ctx, const float* values,
                                        FlintCudaSize rows, FlintCudaSize n, int* out,
                                        FlintCudaStream* stream) {
  if (const int s = useDevice(ctx)) return s;
  if (rows == 0) return FLINT_CUDA_OK;
  if (const int s = needPointers("argmax", values, out)) return s;
  if (const int s = needRows("argmax", rows)) return s;
  if (n >= (1ull << 31)) return fail("The CUDA argmax was given a row of more than 2^31 values.");
  argmaxKernel<<<unsigned(rows), kThreads, 0, rawStream(stream)>>>(values, n, out);
  return checkLaunch("argmax");
}

FLINT_CUDA_EXPORT int flint_cuda_swiglu(FlintCudaContext* ctx, float* g, const float* u,
                                        const float* tokenWeights, FlintCudaSize tokens,
                                        FlintCudaSize n, float limit, FlintCudaStream* stream) {
  if (const int s = useDevice(ctx)) return s;
  if (tokens == 0 || n == 0) return FLINT_CUDA_OK;
  if (const int s = needPointers("swiglu", g, u)) return s;
  swigluKernel<<<gridStrideBlocks(tokens * n), kThreads, 0, rawStream(stream)>>>(
      g, u, tokenWeights, tokens * n, n, limit);
  return checkLaunch("swiglu");
}
