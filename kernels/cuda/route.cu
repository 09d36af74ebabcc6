// MoE routing as engine/model/moe.cpp computes it, one block per token: scores
// sqrt(softplus(logit)); the k experts with the largest score + bias picked one at a time by a
// block argmax (largest first, lower index on ties, as the CPU topK orders them), or read from
// the hash table; then the chosen scores normalised in the CPU's order and scaled.
#include "kernels/cuda/ops_common.cuh"

namespace flint::cuda {
namespace {

constexpr unsigned kThreads = 256;
constexpr unsigned long long kMaxExperts = 4096;
constexpr unsigned long long kMaxK = 64;

__device__ inline float softplus(float x) {
  return x > 20.0f ? x : log1pf(expf(x));  // kernels::softplus
}

// Dynamic shared memory: score[E], pick[E] (score + bias, -inf once taken).
__global__ void routeKernel(FlintCudaRouting r) {
  extern __shared__ float shared[];
  __shared__ float sharedV[32];
  __shared__ unsigned sharedI[32];
  __shared__ int chosen[kMaxK];
  const unsigned long long E = r.experts, k = r.k, t = blockIdx.x;
  float* score = shared;
  float* pick = shared + E;
  for (unsigned long long e = threadIdx.x; e < E; e += blockDim.x) {
    score[e] = sqrtf(softplus(r.logits[t * E + e]));
    if (!r.tid2eid) pick[e] = score[e] + r.bias[e];
  }
  if (r.tid2eid) {
    for (unsigned long long j = threadIdx.x; j < k; j += blockDim.x)
      chosen[j] = r.tid2eid[static_cast<unsigned long long>(r.ids[t]) * k + j];
  } else {
    for (unsigned long long j = 0; j < k; ++j) {
      __syncthreads();  // pick[] as the previous round left it
      float best = -INFINITY;
      unsigned index = unsigned(E);
      for (unsigned long long e = threadIdx.x; e < E; e += blockDim.x)
        keepLarger(best, index, pick[e], unsigned(e));
      blockArgmax(best, index, sharedV, sharedI);
      if (index >= E) index = 0;  // all NaN (a broken checkpoint): stay inside the arrays
      if (threadIdx.x == 0) {
        chosen[j] = int(index);
        pick[index] = -INFINITY;
      }
    }
  }
  __syncthreads();
  if (threadIdx.x == 0) {
    float total = 0;
    for (unsigned long long j = 0; j < k; ++j) total += score[chosen[j]];
    for (unsigned long long j = 0; j < k; ++j) {
      const float s = score[chosen[j]];
      r.chosen[t * k + j] = chosen[j];
      r.weights[t * k + j] = (r.normalize ? s / total : s) * r.routedScale;
    }
  }
}

}  // namespace
}  // namespace flint::cuda

using namespace flint::cuda;

FLINT_CUDA_EXPORT int flint_cuda_route(FlintCudaContext* ctx, const FlintCudaRouting* r,
                                       FlintCudaStream* stream) {
  if (const int s = useDevice(ctx)) return s;
  if (!r || !r->logits || !r->chosen || !r->weights || (r->tid2eid ? !r->ids : !r->bias))
    return fail("The CUDA MoE routing was called with a null pointer.");
  if (r->tokens == 0) return FLINT_CUDA_OK;
  if (r->experts == 0 || r->experts > kMaxExperts || r->k == 0 || r->k > kMaxK || r->k > r->experts)
    return fail(
        "The CUDA MoE routing takes 1 to %llu experts and k from 1 to %llu (at most the "
        "experts), not %llu experts and k = %llu.",
        kMaxExperts, kMaxK, r->experts, r->k);
  if (r->tokens >= (1ull << 31)) return fail("The CUDA MoE routing was given 2^31 tokens or more.");
  routeKernel<<<unsigned(r->tokens), kThreads, 2 * r->experts * sizeof(float), rawStream(stream)>>>(
      *r);
  return checkLaunch("route");
}
