// The lightning indexer's scores and the key lists of sparse attention, as
// engine/model/attention.cpp's selectIndexed and attendOne build them for one token at a time.
// Both may read the run's start from device memory when they run (a captured decode step).
#include "kernels/cuda/ops_common.cuh"

#include <climits>

namespace flint::cuda {
namespace {

constexpr unsigned kThreads = 256;
// The scores' grid, at most: a captured step scores a capacity-long row of which maybe few
// entries are usable, and a grid for all of them would mostly start warps that do nothing.
constexpr unsigned long long kMaxScoreBlocks = 2048;

// Two grid-stride loops with disjoint outputs. First one thread per score: the entries a token
// may not see yet get -infinity without a key being read. Then one warp per score a token may
// see (t, e), over tokens * the last token's usable count: the lanes split each head's dot
// product, then every lane adds the heads in order as the CPU does (float, no fused
// multiply-add), so only the dot products' summation order differs.
__global__ void indexerScoresKernel(FlintCudaIndexerScores s) {
  const long long start = runStart(s.start, s.startOnDevice);
  if (start < 0) return;
  auto usableOf = [&](unsigned long long t) {
    return static_cast<unsigned long long>(start + static_cast<long long>(t) + 1) / s.ratio;
  };
  const unsigned long long id = blockIdx.x * 1ull * blockDim.x + threadIdx.x;
  const unsigned long long threads = 1ull * gridDim.x * blockDim.x;
  for (unsigned long long i = id; i < s.tokens * s.entries; i += threads)
    if (i % s.entries >= usableOf(i / s.entries)) s.scores[i] = -INFINITY;

  const unsigned lane = threadIdx.x % 32;
  const unsigned long long lastUsable = min(usableOf(s.tokens - 1), s.entries);
  for (unsigned long long w = id / 32; w < s.tokens * lastUsable; w += threads / 32) {
    const unsigned long long t = w / lastUsable, e = w % lastUsable;
    if (e >= usableOf(t)) continue;  // the whole warp shares w, so it branches together
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
    if (lane == 0) s.scores[t * s.entries + e] = score;
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

// One block per token; thread j writes key j of its list. The host checks the row lengths when
// it knows the start; with the start on the device, a list longer than its row (or than the
// picked rows) is cut short there instead of overrunning it.
__global__ void attentionIndicesKernel(FlintCudaAttentionIndices a) {
  const long long start = runStart(a.start, a.startOnDevice);
  if (start < 0) return;
  const unsigned long long t = blockIdx.x;
  const long long pos = start + static_cast<long long>(t);
  KeyCounts n = keyCounts(a, pos);
  if (a.picked && n.compressed > a.pickedStride) n.compressed = a.pickedStride;
  const unsigned long long keys = min(n.window + n.compressed, a.maxKeys);
  int* out = a.indices + t * a.maxKeys;
  for (unsigned long long j = threadIdx.x; j < keys; j += blockDim.x) {
    if (j < n.window) {
      const long long p = n.firstWindowPos + static_cast<long long>(j);
      out[j] = p >= start ? int(a.batchRow + static_cast<unsigned long long>(p - start))
                          : int(static_cast<unsigned long long>(p) % a.window);
    } else {
      const unsigned long long c = j - n.window;
      const unsigned long long e =
          a.picked ? static_cast<unsigned long long>(a.picked[t * a.pickedStride + c]) : c;
      out[j] = int(a.compressedRow + e);
    }
  }
  if (threadIdx.x == 0) a.counts[t] = int(keys);
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
  if (s->ratio == 0 || (!s->startOnDevice && s->start < 0))
    return fail(
        "The CUDA indexer scores need a ratio of at least 1 and a start of at least 0, not "
        "ratio %llu and start %lld.",
        s->ratio, s->start);
  const unsigned long long blocks = (s->tokens * s->entries * 32 + kThreads - 1) / kThreads;
  indexerScoresKernel<<<unsigned(blocks < kMaxScoreBlocks ? blocks : kMaxScoreBlocks), kThreads, 0,
                        rawStream(stream)>>>(*s);
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
  if (!a->startOnDevice && a->start < 0)
    return fail("The CUDA attention indices were given the negative start %lld.", a->start);
  if (a->tokens >= (1ull << 31))
    return fail("The CUDA attention indices were given 2^31 tokens or more.");
  // With the start on the device, the host cannot check the lists against their rows; the
  // device cuts them at maxKeys, which bounds the compressed rows instead.
  unsigned long long compressedEnd = a->compressedRow + a->maxKeys;
  if (!a->startOnDevice) {
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
    compressedEnd =
        a->compressedRow + (a->ratio ? static_cast<unsigned long long>(lastPos + 1) / a->ratio : 0);
  }
  if (a->batchRow + a->tokens > INT_MAX || compressedEnd > INT_MAX || a->window > INT_MAX)
    return fail("The CUDA attention indices would address entry rows beyond 2^31 - 1.");
  attentionIndicesKernel<<<unsigned(a->tokens), kThreads, 0, rawStream(stream)>>>(*a);
  return checkLaunch("attentionIndices");
}
