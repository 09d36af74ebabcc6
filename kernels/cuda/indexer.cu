// The lightning indexer's scores and the key lists of sparse attention, as
// engine/model/attention.cpp's selectIndexed and attendOne build them for one token at a time.
#include "kernels/cuda/ops_common.cuh"

#include <climits>

namespace flint::cuda {
namespace {

constexpr unsigned kThreads = 256;
constexpr unsigned kWarpsPerBlock = kThreads / 32;

unsigned gridFor(unsigned long long count) {
  const unsigned long long blocks = (count + kThreads - 1) / kThreads;
  return unsigned(blocks < 65535 ? (blocks ? blocks : 1) : 65535);
}

// One warp per score (token t, entry e), grid-stride over tokens * entries; the lanes split
// each head's dot product, then every lane adds the heads in order as the CPU does (float,
// no fused multiply-add), so only the dot products' summation order differs.
__global__ void indexerScoresKernel(FlintCudaIndexerScores s) {
  const unsigned lane = threadIdx.x % 32;
  const unsigned long long total = s.tokens * s.entries;
  const unsigned long long stride = 1ull * gridDim.x * kWarpsPerBlock;
  for (unsigned long long w = (blockIdx.x * 1ull * blockDim.x + threadIdx.x) / 32; w < total;
       w += stride) {
    const unsigned long long t = w / s.entries, e = w % s.entries;
    const unsigned long long usable =
        static_cast<unsigned long long>(s.start + static_cast<long long>(t) + 1) / s.ratio;
    if (e >= usable) {  // the whole warp shares w, so it branches together
      if (lane == 0) s.scores[w] = -INFINITY;
      continue;
    }
    const float* key = s.keys + e * s.dim;
    const float* q = s.q + t * s.heads * s.dim;
    const float* weights = s.weights + t * s.heads;
    float score = 0;
    for (unsigned long long h = 0; h < s.heads; ++h) {
      float dot = 0;
      for (unsigned long long d = lane; d < s.dim; d += 32)
        dot = fmaf(q[h * s.dim + d], key[d], dot);
      dot = warpSum(dot);
      score = __fadd_rn(score, __fmul_rn(weights[h], fmaxf(0.0f, dot)));
    }
    if (lane == 0) s.scores[w] = score;
  }
}

// How many keys the token at `pos` attends to: its window, then its compressed entries.
struct KeyCounts {
  long long firstWindowPos;
  unsigned long long window, compressed;
};

__host__ __device__ inline KeyCounts keyCounts(const FlintCudaAttentionIndices& a, long long pos) {
  const long long windowBack = pos - static_cast<long long>(a.window) + 1;
  const long long first = windowBack > 0 ? windowBack : 0;
  const unsigned long long usable =
      a.ratio ? static_cast<unsigned long long>(pos + 1) / a.ratio : 0;
  const unsigned long long compressed = a.picked && a.topk < usable ? a.topk : usable;
  return {first, static_cast<unsigned long long>(pos - first + 1), compressed};
}

// One block per token; thread j writes key j of its list.
__global__ void attentionIndicesKernel(FlintCudaAttentionIndices a) {
  const unsigned long long t = blockIdx.x;
  const long long pos = a.start + static_cast<long long>(t);
  const KeyCounts n = keyCounts(a, pos);
  int* out = a.indices + t * a.maxKeys;
  for (unsigned long long j = threadIdx.x; j < n.window + n.compressed; j += blockDim.x) {
    if (j < n.window) {
      const long long p = n.firstWindowPos + static_cast<long long>(j);
      out[j] = p >= a.start ? int(a.batchRow + static_cast<unsigned long long>(p - a.start))
                            : int(static_cast<unsigned long long>(p) % a.window);
    } else {
      const unsigned long long c = j - n.window;
      const unsigned long long e =
          a.picked ? static_cast<unsigned long long>(a.picked[t * a.pickedStride + c]) : c;
      out[j] = int(a.compressedRow + e);
    }
  }
  if (threadIdx.x == 0) a.counts[t] = int(n.window + n.compressed);
}

}  // namespace
}  // namespace flint::cuda

using namespace flint::cuda;

FLINT_CUDA_EXPORT int flint_cuda_indexer_scores(FlintCudaContext* ctx,
                                                const FlintCudaIndexerScores* s,
                                                FlintCudaStream* stream) {
  if (const int st = useDevice(ctx)) return st;
  if (!s) return fail("The CUDA indexer scores were called without their arguments.");
  if (s->tokens == 0 || s->entries == 0) return FLINT_CUDA_OK;
  if (!s->q || !s->weights || !s->keys || !s->scores)
    return fail("The CUDA indexer scores were called with a null pointer.");
  if (s->ratio == 0 || s->start < 0)
    return fail(
        "The CUDA indexer scores need a ratio of at least 1 and a start of at least 0, not "
        "ratio %llu and start %lld.",
        s->ratio, s->start);
  const unsigned long long warps = s->tokens * s->entries;
  indexerScoresKernel<<<gridFor(warps * 32), kThreads, 0, rawStream(stream)>>>(*s);
  return checkLaunch("indexerScores");
}

FLINT_CUDA_EXPORT int flint_cuda_attention_indices(FlintCudaContext* ctx,
                                                   const FlintCudaAttentionIndices* a,
                                                   FlintCudaStream* stream) {
  if (const int s = useDevice(ctx)) return s;
  if (!a) return fail("The CUDA attention indices were called without their arguments.");
  if (a->tokens == 0) return FLINT_CUDA_OK;
  if (!a->indices || !a->counts)
    return fail("The CUDA attention indices were called with a null pointer.");
  if (a->start < 0)
    return fail("The CUDA attention indices were given the negative start %lld.", a->start);
  if (a->tokens >= (1ull << 31))
    return fail("The CUDA attention indices were given 2^31 tokens or more.");
  // The last token's list is the longest, and holds the largest rows.
  const long long lastPos = a->start + static_cast<long long>(a->tokens) - 1;
  const KeyCounts last = keyCounts(*a, lastPos);
  if (last.window + last.compressed > a->maxKeys)
    return fail(
        "The CUDA attention indices need %llu keys for the last token, more than the %llu "
        "of a row.",
        last.window + last.compressed, a->maxKeys);
  if (a->picked && last.compressed > a->pickedStride)
    return fail("The CUDA attention indices read %llu picked entries from rows of only %llu.",
                last.compressed, a->pickedStride);
  const unsigned long long usable =
      a->ratio ? static_cast<unsigned long long>(lastPos + 1) / a->ratio : 0;
  if (a->batchRow + a->tokens > INT_MAX || a->compressedRow + usable > INT_MAX ||
      a->window > INT_MAX)
    return fail("The CUDA attention indices would address entry rows beyond 2^31 - 1.");
  attentionIndicesKernel<<<unsigned(a->tokens), kThreads, 0, rawStream(stream)>>>(*a);
  return checkLaunch("attentionIndices");
}
