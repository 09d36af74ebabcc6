// Manifold-constrained hyper-connections (engine/model/hyper_connections.cpp) on the device.
// The per-token coefficients (a few dozen numbers, 20 Sinkhorn iterations over 4x4) run in one
// thread in the CPU's exact order; the stream sums use _rn intrinsics so nvcc does not fuse
// them into multiply-adds, which keeps them bit for bit equal to the CPU given equal inputs.
#include "kernels/cuda/ops_common.cuh"

namespace flint::cuda {
namespace {

constexpr unsigned kThreads = 256;
constexpr unsigned long long kMaxStreams = 16;
constexpr unsigned long long kMaxMix = (2 + kMaxStreams) * kMaxStreams;

__device__ inline float sigmoid(float x) {
  return 1.0f / (1.0f + expf(-x));
}

// a * b + c as two roundings, as the CPU computes it.
__device__ inline float mulAdd(float a, float b, float c) {
  return __fadd_rn(__fmul_rn(a, b), c);
}

// kernels::softmax on n values, serially.
__device__ void softmaxSerial(float* x, unsigned long long n) {
  float m = x[0];
  for (unsigned long long i = 1; i < n; ++i) m = x[i] > m ? x[i] : m;
  float sum = 0;
  for (unsigned long long i = 0; i < n; ++i) sum += (x[i] = expf(x[i] - m));
  for (unsigned long long i = 0; i < n; ++i) x[i] /= sum;
}

// The CPU's sinkhorn(): row softmax plus eps, then column and row normalisation in turn,
// ending on a column step. c is [n, n] row-major.
__device__ void sinkhorn(float* c, unsigned long long n, int iters, float eps) {
  for (unsigned long long j = 0; j < n; ++j) {
    softmaxSerial(c + j * n, n);
    for (unsigned long long k = 0; k < n; ++k) c[j * n + k] += eps;
  }
  for (int it = 0; it < (iters > 1 ? iters : 1); ++it) {  // the first column step always runs
    if (it > 0)
      for (unsigned long long j = 0; j < n; ++j) {
        float sum = 0;
        for (unsigned long long k = 0; k < n; ++k) sum += c[j * n + k];
        for (unsigned long long k = 0; k < n; ++k) c[j * n + k] /= sum + eps;
      }
    for (unsigned long long k = 0; k < n; ++k) {
      float sum = 0;
      for (unsigned long long j = 0; j < n; ++j) sum += c[j * n + k];
      for (unsigned long long j = 0; j < n; ++j) c[j * n + k] /= sum + eps;
    }
  }
}

// One block per token: the block sums X's squares (double, as the CPU), then thread 0 derives
// the coefficients serially.
__global__ void hcPreKernel(FlintCudaHyperShape s, const float* x, const float* mix,
                            const float* scale, const float* base, float* pre, float* post,
                            float* comb) {
  __shared__ double partial[32];
  __shared__ float m[kMaxMix];
  const unsigned long long t = blockIdx.x, n = s.streams, flat = n * s.hidden;
  const float* xt = x + t * flat;
  double sum = 0;
  for (unsigned long long i = threadIdx.x; i < flat; i += blockDim.x) sum += double(xt[i]) * xt[i];
  sum = blockSumDouble(sum, partial);
  if (threadIdx.x != 0) return;
  const float r = 1.0f / sqrtf(float(sum / double(flat)) + s.normEps);
  for (unsigned long long k = 0; k < s.mixWidth; ++k) m[k] = mix[t * s.mixWidth + k] * r;
  for (unsigned long long i = 0; i < n; ++i)
    pre[t * n + i] = sigmoid(mulAdd(m[i], scale[0], base[i])) + s.hcEps;
  if (s.mixWidth == n) return;  // the head site: pre only
  for (unsigned long long i = 0; i < n; ++i)
    post[t * n + i] = 2.0f * sigmoid(mulAdd(m[n + i], scale[1], base[n + i]));
  float* c = comb + t * n * n;
  for (unsigned long long k = 0; k < n * n; ++k)
    c[k] = mulAdd(m[2 * n + k], scale[2], base[2 * n + k]);
  sinkhorn(c, n, s.sinkhornIters, s.hcEps);
}

// One thread per (t, d), grid-stride: y[t, d] = sum_i pre[t, i] * X[t, i, d], i upward.
__global__ void hcWeightedSumKernel(const float* x, const float* pre, unsigned long long tokens,
                                    unsigned long long n, unsigned long long hidden, float* y) {
  for (unsigned long long e = blockIdx.x * 1ull * blockDim.x + threadIdx.x; e < tokens * hidden;
       e += 1ull * blockDim.x * gridDim.x) {
    const unsigned long long t = e / hidden, d = e % hidden;
    float acc = 0;
    for (unsigned long long i = 0; i < n; ++i)
      acc = mulAdd(pre[t * n + i], x[(t * n + i) * hidden + d], acc);
    y[e] = acc;
  }
}

// One thread per (t, j, k), grid-stride: out[t, j, k] = post[t, j] f[t, k] + sum_i c[t, i, j]
// res[t, i, k], i upward.
__global__ void hcPostKernel(const float* f, const float* res, const float* post, const float* comb,
                             unsigned long long tokens, unsigned long long n,
                             unsigned long long hidden, float* out) {
  for (unsigned long long e = blockIdx.x * 1ull * blockDim.x + threadIdx.x; e < tokens * n * hidden;
       e += 1ull * blockDim.x * gridDim.x) {
    const unsigned long long k = e % hidden, j = (e / hidden) % n, t = e / (hidden * n);
    float acc = __fmul_rn(post[t * n + j], f[t * hidden + k]);
    for (unsigned long long i = 0; i < n; ++i)
      acc = mulAdd(comb[(t * n + i) * n + j], res[(t * n + i) * hidden + k], acc);
    out[e] = acc;
  }
}

}  // namespace
}  // namespace flint::cuda

using namespace flint::cuda;

FLINT_CUDA_EXPORT int flint_cuda_hc_pre(FlintCudaContext* ctx, const FlintCudaHyperShape* s,
                                        const float* x, const float* mix, const float* scale,
                                        const float* base, FlintCudaSize tokens, float* pre,
                                        float* post, float* comb, FlintCudaStream* stream) {
  if (const int st = useDevice(ctx)) return st;
  if (!s) return fail("The CUDA mHC op was called without a shape.");
  if (tokens == 0) return FLINT_CUDA_OK;
  const bool head = s->mixWidth == s->streams;
  if (!x || !mix || !scale || !base || !pre || (!head && (!post || !comb)))
    return fail("The CUDA mHC op was called with a null pointer.");
  if (s->streams == 0 || s->streams > kMaxStreams ||
      (!head && s->mixWidth != (2 + s->streams) * s->streams))
    return fail(
        "The CUDA mHC op takes 1 to %llu streams and a mix of hc or (2 + hc) * hc, not "
        "%llu streams and a mix of %llu.",
        kMaxStreams, s->streams, s->mixWidth);
  if (tokens >= (1ull << 31)) return fail("The CUDA mHC op was given 2^31 tokens or more.");
  hcPreKernel<<<unsigned(tokens), kThreads, 0, rawStream(stream)>>>(*s, x, mix, scale, base, pre,
                                                                    post, comb);
  return checkLaunch("hcPre");
}

FLINT_CUDA_EXPORT int flint_cuda_hc_weighted_sum(FlintCudaContext* ctx, const float* x,
                                                 const float* pre, FlintCudaSize tokens,
                                                 FlintCudaSize streams, FlintCudaSize hidden,
                                                 float* y, FlintCudaStream* stream) {
  if (const int s = useDevice(ctx)) return s;
  if (tokens == 0 || hidden == 0) return FLINT_CUDA_OK;
  if (!x || !pre || !y) return fail("The CUDA mHC weighted sum was called with a null pointer.");
  hcWeightedSumKernel<<<gridStrideBlocks(tokens * hidden), kThreads, 0, rawStream(stream)>>>(
      x, pre, tokens, streams, hidden, y);
  return checkLaunch("hcWeightedSum");
}

FLINT_CUDA_EXPORT int flint_cuda_hc_post(FlintCudaContext* ctx, const float* f, const float* res,
                                         const float* post, const float* comb, FlintCudaSize tokens,
                                         FlintCudaSize streams, FlintCudaSize hidden, float* out,
                                         FlintCudaStream* stream) {
  if (const int s = useDevice(ctx)) return s;
  if (tokens == 0 || streams == 0 || hidden == 0) return FLINT_CUDA_OK;
  if (!f || !res || !post || !comb || !out)
    return fail("The CUDA mHC post op was called with a null pointer.");
  hcPostKernel<<<gridStrideBlocks(tokens * streams * hidden), kThreads, 0, rawStream(stream)>>>(
      f, res, post, comb, tokens, streams, hidden, out);
  return checkLaunch("hcPost");
}
