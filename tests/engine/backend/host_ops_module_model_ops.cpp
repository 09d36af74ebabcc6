// The host emulation's model ops: mHC (engine/model/hyper_connections.cpp), sparse attention
// and the indexer's scores (attention.cpp), the KV compressor (compressor.cpp) and the keys
// each token attends to. Each mirrors its engine loop's float operations in the same order.
#include "kernels/cpu/matmul.h"
#include "kernels/cpu/vector_ops.h"
#include "tests/engine/backend/host_ops_module.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

using namespace flint::host_ops;
namespace kernels = flint::kernels;

namespace {

constexpr unsigned long long kFloat = sizeof(float), kInt = sizeof(int);
constexpr unsigned long long kMaxStreams = 16, kMaxKeys = 12288;

// compressor.cpp pushCompressorToken's pooling of the window that `pos` completes into `out`
// (width floats), reading the rings; no norm, rounding or rotation.
void poolWindow(const FlintCudaCompressor& c, long long pos, float* out) {
  const std::size_t m = c.ratio, ch = c.channels, width = c.width;
  const long long first = pos - (long long)(m) + 1;
  const bool overlap = ch == 2 * width;
  const bool hasPrevious = overlap && first >= (long long)(m);
  for (std::size_t k = 0; k < width; ++k) {
    float maxGate = -std::numeric_limits<float>::infinity();
    auto visit = [&](auto&& fn) {
      if (hasPrevious)
        for (std::size_t j = 0; j < m; ++j) {
          const std::size_t s = std::size_t(first - (long long)(m) + (long long)(j)) % (2 * m);
          fn(c.ringGate[s * ch + k], c.ringKv[s * ch + k]);
        }
      const std::size_t half = overlap ? width : 0;
      for (std::size_t j = 0; j < m; ++j) {
        const std::size_t s = std::size_t(first + (long long)(j)) % (2 * m);
        fn(c.ringGate[s * ch + half + k], c.ringKv[s * ch + half + k]);
      }
    };
    visit([&](float g, float) { maxGate = std::max(maxGate, g); });
    double sum = 0, weighted = 0;
    visit([&](float g, float kv) {
      const double e = std::exp(double(g) - double(maxGate));
      sum += e;
      weighted += e * double(kv);
    });
    out[k] = float(weighted / sum);
  }
}

// The run's first position: *startOnDevice when it is given (read now, as the device reads it
// when the op runs), else start.
int runStart(const char* op, long long start, const long long* startOnDevice, long long& out) {
  if (startOnDevice) {
    if (const int s = needMemory(op, "the start", startOnDevice, sizeof(long long))) return s;
    start = *startOnDevice;
  }
  if (start < 0)
    return fail("The CUDA op %s was given start %lld; it must be 0 or more.", op, start);
  out = start;
  return FLINT_CUDA_OK;
}

}  // namespace

// ---- mHC -------------------------------------------------------------------------------------

// hcPre after its mix product (and hcHead's pre at the head): the mix scaled by 1 / rms(X)
// from the same double sum as mixes(), then pre, post and the Sinkhorn-projected comb.
FLINT_HOST_OPS_EXPORT int flint_cuda_hc_pre(FlintCudaContext* ctx, const FlintCudaHyperShape* s,
                                            const float* x, const float* mix, const float* scale,
                                            const float* base, FlintCudaSize tokens, float* pre,
                                            float* post, float* comb, FlintCudaStream* stream) {
  FLINT_HOST_OPS_RECORD(flint_cuda_hc_pre, ctx, s, x, mix, scale, base, tokens, pre, post, comb,
                        stream);
  if (const int st = needContext(ctx, stream)) return st;
  if (!s) return fail("The CUDA mHC op was called without a shape.");
  if (tokens == 0) return FLINT_CUDA_OK;
  const std::size_t n = s->streams, width = s->mixWidth, flat = n * s->hidden;
  const bool head = width == n;
  if (n == 0 || n > kMaxStreams || (!head && width != (2 + n) * n))
    return fail(
        "The CUDA mHC op takes 1 to %llu streams and a mix of hc or (2 + hc) * hc, not "
        "%llu streams and a mix of %llu.",
        kMaxStreams, s->streams, s->mixWidth);
  const char* op = "hcPre";
  if (const int st = needMemory(op, "x", x, tokens * flat * kFloat)) return st;
  if (const int st = needMemory(op, "the mix", mix, tokens * width * kFloat)) return st;
  if (const int st = needMemory(op, "the scales", scale, (head ? 1 : 3) * kFloat)) return st;
  if (const int st = needMemory(op, "the base", base, width * kFloat)) return st;
  if (const int st = needMemory(op, "pre", pre, tokens * n * kFloat)) return st;
  if (!head) {
    if (const int st = needMemory(op, "post", post, tokens * n * kFloat)) return st;
    if (const int st = needMemory(op, "comb", comb, tokens * n * n * kFloat)) return st;
  }
  float m[(2 + kMaxStreams) * kMaxStreams];
  for (std::size_t t = 0; t < tokens; ++t) {
    const float* xt = x + t * flat;
    double sum = 0;
    for (std::size_t i = 0; i < flat; ++i) sum += double(xt[i]) * xt[i];
    const float r = 1.0f / std::sqrt(float(sum / double(flat)) + s->normEps);
    for (std::size_t k = 0; k < width; ++k) m[k] = mix[t * width + k] * r;
    for (std::size_t i = 0; i < n; ++i)
      pre[t * n + i] = kernels::sigmoid(m[i] * scale[0] + base[i]) + s->hcEps;
    if (head) continue;
    for (std::size_t i = 0; i < n; ++i)
      post[t * n + i] = 2.0f * kernels::sigmoid(m[n + i] * scale[1] + base[n + i]);
    float* c = comb + t * n * n;
    for (std::size_t k = 0; k < n * n; ++k) c[k] = m[2 * n + k] * scale[2] + base[2 * n + k];
    kernels::sinkhorn(c, n, s->sinkhornIters, s->hcEps);
  }
  return FLINT_CUDA_OK;
}

FLINT_HOST_OPS_EXPORT int flint_cuda_hc_weighted_sum(FlintCudaContext* ctx, const float* x,
                                                     const float* pre, FlintCudaSize tokens,
                                                     FlintCudaSize streams, FlintCudaSize hidden,
                                                     float* y, FlintCudaStream* stream) {
  FLINT_HOST_OPS_RECORD(flint_cuda_hc_weighted_sum, ctx, x, pre, tokens, streams, hidden, y,
                        stream);
  if (const int s = needContext(ctx, stream)) return s;
  if (tokens == 0 || hidden == 0) return FLINT_CUDA_OK;
  const char* op = "hcWeightedSum";
  if (const int s = needMemory(op, "x", x, tokens * streams * hidden * kFloat)) return s;
  if (const int s = needMemory(op, "pre", pre, tokens * streams * kFloat)) return s;
  if (const int s = needMemory(op, "y", y, tokens * hidden * kFloat)) return s;
  for (std::size_t t = 0; t < tokens; ++t) {
    const float* xt = x + t * streams * hidden;
    for (std::size_t d = 0; d < hidden; ++d) {
      float acc = 0;
      for (std::size_t i = 0; i < streams; ++i) acc += pre[t * streams + i] * xt[i * hidden + d];
      y[t * hidden + d] = acc;
    }
  }
  return FLINT_CUDA_OK;
}

FLINT_HOST_OPS_EXPORT int flint_cuda_hc_post(FlintCudaContext* ctx, const float* f,
                                             const float* res, const float* post, const float* comb,
                                             FlintCudaSize tokens, FlintCudaSize streams,
                                             FlintCudaSize hidden, float* out,
                                             FlintCudaStream* stream) {
  FLINT_HOST_OPS_RECORD(flint_cuda_hc_post, ctx, f, res, post, comb, tokens, streams, hidden, out,
                        stream);
  if (const int s = needContext(ctx, stream)) return s;
  if (tokens == 0 || streams == 0 || hidden == 0) return FLINT_CUDA_OK;
  const std::size_t n = streams, d = hidden, all = tokens * n * d;
  const char* op = "hcPost";
  if (const int s = needMemory(op, "f", f, tokens * d * kFloat)) return s;
  if (const int s = needMemory(op, "the residual", res, all * kFloat)) return s;
  if (const int s = needMemory(op, "post", post, tokens * n * kFloat)) return s;
  if (const int s = needMemory(op, "comb", comb, tokens * n * n * kFloat)) return s;
  if (const int s = needMemory(op, "out", out, all * kFloat)) return s;
  if (out < res + all && res < out + all)
    return fail("The CUDA mHC post op was given an output that overlaps its residual.");
  kernels::hyperConnectionPost(f, res, post, comb, tokens, n, d, out);
  return FLINT_CUDA_OK;
}

// ---- attention -------------------------------------------------------------------------------

// attention.cpp attendOne's softmax over the keys and the sink, and its weighted sum.
FLINT_HOST_OPS_EXPORT int flint_cuda_sparse_attention(FlintCudaContext* ctx,
                                                      const FlintCudaSparseAttention* a,
                                                      FlintCudaStream* stream) {
  FLINT_HOST_OPS_RECORD(flint_cuda_sparse_attention, ctx, a, stream);
  if (const int s = needContext(ctx, stream)) return s;
  if (!a) return fail("The CUDA sparse attention was called without its arguments.");
  if (a->tokens == 0 || a->heads == 0 || a->headDim == 0) return FLINT_CUDA_OK;
  if (a->maxKeys > kMaxKeys)
    return fail("The CUDA sparse attention takes at most %llu keys per query, not %llu.", kMaxKeys,
                a->maxKeys);
  const std::size_t D = a->headDim, queries = a->tokens * a->heads;
  const char* op = "sparseAttention";
  if (const int s = needMemory(op, "q", a->q, queries * D * kFloat)) return s;
  if (const int s = needMemory(op, "the indices", a->indices, a->tokens * a->maxKeys * kInt))
    return s;
  if (const int s = needMemory(op, "the counts", a->counts, a->tokens * kInt)) return s;
  if (const int s = needMemory(op, "the sinks", a->sink, a->heads * kFloat)) return s;
  if (const int s = needMemory(op, "out", a->out, queries * D * kFloat)) return s;
  if (!a->entries)
    return fail("The CUDA op %s was called with a null pointer for the entries.", op);
  const unsigned long long entryRows = bytesFrom(a->entries) / (D * kFloat);
  thread_local std::vector<float> scores;
  scores.resize(a->maxKeys);
  for (std::size_t t = 0; t < a->tokens; ++t) {
    const int* indices = a->indices + t * a->maxKeys;
    const int count = a->counts[t];
    if (count < 0 || (unsigned long long)(count) > a->maxKeys)
      return fail("The CUDA sparse attention was given %d keys for token %zu; at most %llu fit.",
                  count, t, a->maxKeys);
    const std::size_t keys = std::size_t(count);
    for (std::size_t j = 0; j < keys; ++j)
      if (indices[j] < 0 || (unsigned long long)(indices[j]) >= entryRows)
        return fail("The CUDA sparse attention was given entry %d for token %zu; there are %llu.",
                    indices[j], t, entryRows);
    auto key = [&](std::size_t j) { return a->entries + std::size_t(indices[j]) * D; };
    for (std::size_t h = 0; h < a->heads; ++h) {
      const float* qh = a->q + (t * a->heads + h) * D;
      float maxScore = a->sink[h];
      for (std::size_t j = 0; j < keys; ++j) {
        scores[j] = kernels::dotProduct(qh, key(j), D) * a->scale;
        maxScore = std::max(maxScore, scores[j]);
      }
      float denom = std::exp(a->sink[h] - maxScore);
      for (std::size_t j = 0; j < keys; ++j) denom += (scores[j] = std::exp(scores[j] - maxScore));
      float* oh = a->out + (t * a->heads + h) * D;
      std::fill_n(oh, D, 0.0f);
      for (std::size_t j = 0; j < keys; ++j) {
        const float p = scores[j] / denom;
        const float* k = key(j);
        for (std::size_t i = 0; i < D; ++i) oh[i] += p * k[i];
      }
    }
  }
  return FLINT_CUDA_OK;
}

// compressor.cpp pushCompressorToken, one position at a time: the ring rows, then the pooling
// of each window that completes (into its entry row, or the next staging row).
FLINT_HOST_OPS_EXPORT int flint_cuda_compress(FlintCudaContext* ctx, const FlintCudaCompressor* c,
                                              FlintCudaStream* stream) {
  FLINT_HOST_OPS_RECORD(flint_cuda_compress, ctx, c, stream);
  if (const int s = needContext(ctx, stream)) return s;
  if (!c) return fail("The CUDA compressor was called without its arguments.");
  if (c->tokens == 0) return FLINT_CUDA_OK;
  const char* op = "compress";
  long long start = 0;
  if (const int s = runStart(op, c->start, c->startOnDevice, start)) return s;
  const std::size_t m = c->ratio, ch = c->channels, width = c->width;
  if (m == 0 || width == 0 || (ch != width && ch != 2 * width))
    return fail(
        "The CUDA compressor takes a ratio of 1 or more and channels of width or 2 * width, "
        "not ratio %llu, width %llu, channels %llu.",
        c->ratio, c->width, c->channels);
  const unsigned long long rows = c->tokens * ch * kFloat, ring = 2 * m * ch * kFloat;
  const std::size_t firstEntry = std::size_t(start) / m,
                    entries = (std::size_t(start) + c->tokens) / m;
  if (const int s = needMemory(op, "kv", c->kv, rows)) return s;
  if (const int s = needMemory(op, "the gate", c->gate, rows)) return s;
  if (const int s = needMemory(op, "ape", c->ape, m * ch * kFloat)) return s;
  if (const int s = needMemory(op, "the kv ring", c->ringKv, ring)) return s;
  if (const int s = needMemory(op, "the gate ring", c->ringGate, ring)) return s;
  if (c->staging) {
    if (const int s =
            needMemory(op, "the staging rows", c->staging, (entries - firstEntry) * width * kFloat))
      return s;
  } else if (const int s = needMemory(op, "the entries", c->entries, entries * width * kFloat)) {
    return s;
  }
  for (std::size_t t = 0; t < c->tokens; ++t) {
    const long long pos = start + (long long)(t);
    const std::size_t slot = std::size_t(pos) % (2 * m), inWindow = std::size_t(pos) % m;
    float* kvRow = c->ringKv + slot * ch;
    float* gateRow = c->ringGate + slot * ch;
    for (std::size_t k = 0; k < ch; ++k) {
      kvRow[k] = c->kv[t * ch + k];
      gateRow[k] = c->gate[t * ch + k] + c->ape[inWindow * ch + k];
    }
    if (inWindow != m - 1) continue;
    const std::size_t e = std::size_t(pos) / m;
    poolWindow(*c, pos,
               c->staging ? c->staging + (e - firstEntry) * width : c->entries + e * width);
  }
  return FLINT_CUDA_OK;
}

// The staging rows of a compress run to their entry rows: entry e for each window the run's
// positions complete.
FLINT_HOST_OPS_EXPORT int flint_cuda_commit_entries(FlintCudaContext* ctx, const float* staging,
                                                    float* entries, FlintCudaSize width,
                                                    FlintCudaSize ratio, long long start,
                                                    const long long* startOnDevice,
                                                    FlintCudaSize tokens, FlintCudaStream* stream) {
  FLINT_HOST_OPS_RECORD(flint_cuda_commit_entries, ctx, staging, entries, width, ratio, start,
                        startOnDevice, tokens, stream);
  if (const int s = needContext(ctx, stream)) return s;
  if (tokens == 0 || width == 0) return FLINT_CUDA_OK;
  const char* op = "commitEntries";
  if (ratio == 0) return fail("The CUDA op %s was given a ratio of 0; it needs 1 or more.", op);
  if (const int s = runStart(op, start, startOnDevice, start)) return s;
  const std::size_t first = std::size_t(start) / ratio, end = (std::size_t(start) + tokens) / ratio;
  if (const int s = needMemory(op, "the staging rows", staging, (end - first) * width * kFloat))
    return s;
  if (const int s = needMemory(op, "the entries", entries, end * width * kFloat)) return s;
  std::copy_n(staging, (end - first) * width, entries + first * width);
  return FLINT_CUDA_OK;
}

// cuda_transformer.cpp's window update: the pass's last min(tokens, ringRows) rows to their
// ring rows, position mod ringRows.
FLINT_HOST_OPS_EXPORT int flint_cuda_ring_update(FlintCudaContext* ctx, float* ring,
                                                 FlintCudaSize ringRows, FlintCudaSize width,
                                                 const float* rows, FlintCudaSize tokens,
                                                 long long start, const long long* startOnDevice,
                                                 FlintCudaStream* stream) {
  FLINT_HOST_OPS_RECORD(flint_cuda_ring_update, ctx, ring, ringRows, width, rows, tokens, start,
                        startOnDevice, stream);
  if (const int s = needContext(ctx, stream)) return s;
  if (tokens == 0 || width == 0) return FLINT_CUDA_OK;
  const char* op = "ringUpdate";
  if (ringRows == 0) return fail("The CUDA op %s was given a ring of 0 rows.", op);
  if (const int s = runStart(op, start, startOnDevice, start)) return s;
  if (const int s = needMemory(op, "the ring", ring, ringRows * width * kFloat)) return s;
  if (const int s = needMemory(op, "the rows", rows, tokens * width * kFloat)) return s;
  for (std::size_t i = tokens - std::min(tokens, ringRows); i < tokens; ++i) {
    const std::size_t slot = (std::size_t(start) + i) % ringRows;
    std::copy_n(rows + i * width, width, ring + slot * width);
  }
  return FLINT_CUDA_OK;
}

// attention.cpp selectIndexed's scores, before their rounding and top-k.
FLINT_HOST_OPS_EXPORT int flint_cuda_indexer_scores(FlintCudaContext* ctx,
                                                    const FlintCudaIndexerScores* s,
                                                    FlintCudaStream* stream) {
  FLINT_HOST_OPS_RECORD(flint_cuda_indexer_scores, ctx, s, stream);
  if (const int st = needContext(ctx, stream)) return st;
  if (!s) return fail("The CUDA indexer scores were called without their arguments.");
  if (s->tokens == 0) return FLINT_CUDA_OK;
  const char* op = "indexerScores";
  long long start = 0;
  if (const int st = runStart(op, s->start, s->startOnDevice, start)) return st;
  if (s->ratio == 0) return fail("The CUDA indexer scores need a ratio of 1 or more.");
  const std::size_t H = s->heads, dim = s->dim;
  const unsigned long long usableLast = (std::size_t(start) + s->tokens) / s->ratio;
  if (usableLast > s->entries)
    return fail("The CUDA indexer scores need rows of %llu entries for position %lld, not %llu.",
                usableLast, start + (long long)(s->tokens) - 1, s->entries);
  if (const int st = needMemory(op, "q", s->q, s->tokens * H * dim * kFloat)) return st;
  if (const int st = needMemory(op, "the weights", s->weights, s->tokens * H * kFloat)) return st;
  if (const int st = needMemory(op, "the keys", s->keys, usableLast * dim * kFloat)) return st;
  if (const int st = needMemory(op, "the scores", s->scores, s->tokens * s->entries * kFloat))
    return st;
  for (std::size_t t = 0; t < s->tokens; ++t) {
    const std::size_t usable = (std::size_t(start) + t + 1) / s->ratio;
    const float* qi = s->q + t * H * dim;
    const float* iw = s->weights + t * H;
    float* scores = s->scores + t * s->entries;
    for (std::size_t e = 0; e < usable; ++e) {
      const float* key = s->keys + e * dim;
      float score = 0;
      for (std::size_t h = 0; h < H; ++h)
        score += iw[h] * std::max(0.0f, kernels::dotProduct(qi + h * dim, key, dim));
      scores[e] = score;
    }
    std::fill(scores + usable, scores + s->entries, -std::numeric_limits<float>::infinity());
  }
  return FLINT_CUDA_OK;
}

// attendOne's key list as entry rows: the window oldest first, then the compressed entries.
FLINT_HOST_OPS_EXPORT int flint_cuda_attention_indices(FlintCudaContext* ctx,
                                                       const FlintCudaAttentionIndices* a,
                                                       FlintCudaStream* stream) {
  FLINT_HOST_OPS_RECORD(flint_cuda_attention_indices, ctx, a, stream);
  if (const int s = needContext(ctx, stream)) return s;
  if (!a) return fail("The CUDA attention indices were called without their arguments.");
  if (a->tokens == 0) return FLINT_CUDA_OK;
  const char* op = "attentionIndices";
  long long start = 0;
  if (const int s = runStart(op, a->start, a->startOnDevice, start)) return s;
  if (a->window == 0) return fail("The CUDA attention indices need a window of 1 or more.");
  if (const int s = needMemory(op, "the indices", a->indices, a->tokens * a->maxKeys * kInt))
    return s;
  if (const int s = needMemory(op, "the counts", a->counts, a->tokens * kInt)) return s;
  const long long last = start + (long long)(a->tokens) - 1;
  if (a->picked && a->ratio) {
    const std::size_t pickedLast = std::min<std::size_t>(a->topk, std::size_t(last + 1) / a->ratio);
    if (const int s = needMemory(op, "the picked entries", a->picked,
                                 ((a->tokens - 1) * a->pickedStride + pickedLast) * kInt))
      return s;
  }
  for (std::size_t t = 0; t < a->tokens; ++t) {
    const long long pos = start + (long long)(t);
    int* out = a->indices + t * a->maxKeys;
    std::size_t count = 0;
    auto push = [&](unsigned long long row) {
      if (count < a->maxKeys) out[count] = int(row);
      ++count;
    };
    for (long long p = std::max(0LL, pos - (long long)(a->window) + 1); p <= pos; ++p)
      push(p >= start ? a->batchRow + std::size_t(p - start) : std::size_t(p) % a->window);
    if (a->ratio) {
      const std::size_t usable = std::size_t(pos + 1) / a->ratio;
      if (a->picked) {
        const int* picked = a->picked + t * a->pickedStride;
        for (std::size_t j = 0; j < std::min<std::size_t>(a->topk, usable); ++j) {
          if (picked[j] < 0 || std::size_t(picked[j]) >= usable)
            return fail(
                "The CUDA attention indices were given entry %d for position %lld, "
                "which sees %zu entries.",
                picked[j], pos, usable);
          push(a->compressedRow + std::size_t(picked[j]));
        }
      } else {
        for (std::size_t e = 0; e < usable; ++e) push(a->compressedRow + e);
      }
    }
    if (count > a->maxKeys)
      return fail("The CUDA attention indices found %zu keys for position %lld; rows hold %llu.",
                  count, pos, a->maxKeys);
    a->counts[t] = int(count);
  }
  return FLINT_CUDA_OK;
}
