// The core of engine/model/attention.cpp's attendOne on the device: each query head attends to
// its token's gathered entries (keys that are also the values) plus a per-head sink that joins
// the softmax's max and denominator but adds no value. One block per (token, head).
#include "kernels/cuda/ops_common.cuh"

namespace flint::cuda {
namespace {

constexpr unsigned kThreads = 256;
constexpr unsigned long long kMaxKeys = 12288;  // scores in 48 KiB of shared memory

// Block b serves token b / heads, head b % heads. Scores: warp w takes keys w, w + 8, ...,
// its lanes splitting the head dimension. Output: thread i sums dimensions i, i + 256, ...
// over the keys in order, as the CPU does.
__global__ void sparseAttentionKernel(FlintCudaSparseAttention a) {
  extern __shared__ float scores[];
  __shared__ float partial[32];
  const unsigned long long t = blockIdx.x / a.heads, h = blockIdx.x % a.heads, D = a.headDim;
  const float* q = a.q + (t * a.heads + h) * D;
  const int* indices = a.indices + t * a.maxKeys;
  const unsigned long long keys = static_cast<unsigned long long>(a.counts[t]);
  const unsigned lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;
  for (unsigned long long j = warp; j < keys; j += warps) {
    const float* key = a.entries + static_cast<unsigned long long>(indices[j]) * D;
    float dot = 0;
    for (unsigned long long i = lane; i < D; i += 32) dot = fmaf(q[i], key[i], dot);
    dot = warpSum(dot);
    if (lane == 0) scores[j] = dot * a.scale;
  }
  __syncthreads();
  float m = a.sink[h];
  for (unsigned long long j = threadIdx.x; j < keys; j += blockDim.x) m = fmaxf(m, scores[j]);
  m = blockMax(m, partial);
  float sum = 0;
  for (unsigned long long j = threadIdx.x; j < keys; j += blockDim.x)
    sum += (scores[j] = expf(scores[j] - m));
  const float denom = blockSum(sum, partial) + expf(a.sink[h] - m);  // syncs: scores are ready
  float* out = a.out + (t * a.heads + h) * D;
  for (unsigned long long i = threadIdx.x; i < D; i += blockDim.x) {
    float acc = 0;
    for (unsigned long long j = 0; j < keys; ++j)
      acc += (scores[j] / denom) * a.entries[static_cast<unsigned long long>(indices[j]) * D + i];
    out[i] = acc;
  }
}

}  // namespace
}  // namespace flint::cuda

using namespace flint::cuda;

FLINT_CUDA_EXPORT int flint_cuda_sparse_attention(FlintCudaContext* ctx,
                                                  const FlintCudaSparseAttention* a,
                                                  FlintCudaStream* stream) {
  if (const int s = useDevice(ctx)) return s;
  if (!a) return fail("The CUDA sparse attention was called without its arguments.");
  if (a->tokens == 0 || a->heads == 0 || a->headDim == 0) return FLINT_CUDA_OK;
  if (!a->q || !a->entries || !a->indices || !a->counts || !a->sink || !a->out)
    return fail("The CUDA sparse attention was called with a null pointer.");
  if (a->maxKeys > kMaxKeys)
    return fail("The CUDA sparse attention takes at most %llu keys per query, not %llu.", kMaxKeys,
                a->maxKeys);
  if (a->tokens * a->heads >= (1ull << 31))
    return fail("The CUDA sparse attention was given 2^31 query heads or more.");
  sparseAttentionKernel<<<unsigned(a->tokens * a->heads), kThreads,
                          (a->maxKeys ? a->maxKeys : 1) * sizeof(float), rawStream(stream)>>>(*a);
  return checkLaunch("sparseAttention");
}
