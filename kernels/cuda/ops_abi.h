// The C interface of the CUDA module's memory, streams and ops (the probe is in abi.h). The
// engine resolves each symbol with dlsym; FLINT_CUDA_ABI_VERSION covers this file too.
//
// Conventions: every function returns a FlintCudaStatus; on anything but FLINT_CUDA_OK,
// flint_cuda_last_error() gives a sentence saying what failed (per thread, until the next
// failing call). Device pointers are plain void* / float*: the module never dereferences them
// on the host. A null stream is the device's legacy default stream. Ops are asynchronous:
// a kernel fault shows up at the next synchronizing call. Sizes are unsigned long long.
#ifndef FLINT_KERNELS_CUDA_OPS_ABI_H
#define FLINT_KERNELS_CUDA_OPS_ABI_H

#ifdef __cplusplus
extern "C" {
#endif

typedef unsigned long long FlintCudaSize;
typedef struct FlintCudaContext FlintCudaContext;  // one device, its cuBLASLt handle
typedef struct FlintCudaStream FlintCudaStream;    // a cudaStream_t behind an opaque name

// ---- errors, contexts, memory, streams --------------------------------------------------

typedef const char* (*FlintCudaLastErrorFn)(void);
typedef int (*FlintCudaContextCreateFn)(int ordinal, FlintCudaContext** out);
typedef void (*FlintCudaContextDestroyFn)(FlintCudaContext* ctx);
typedef int (*FlintCudaMallocFn)(FlintCudaContext* ctx, FlintCudaSize bytes, void** out);
typedef int (*FlintCudaFreeFn)(FlintCudaContext* ctx, void* ptr);
typedef int (*FlintCudaHostAllocFn)(FlintCudaContext* ctx, FlintCudaSize bytes, void** out);
typedef int (*FlintCudaHostFreeFn)(FlintCudaContext* ctx, void* ptr);
// Synchronous copies return when the data has arrived.
typedef int (*FlintCudaCopyFn)(FlintCudaContext* ctx, void* dst, const void* src,
                               FlintCudaSize bytes);
// Asynchronous copies; the host side should be pinned memory to overlap.
typedef int (*FlintCudaCopyAsyncFn)(FlintCudaContext* ctx, void* dst, const void* src,
                                    FlintCudaSize bytes, FlintCudaStream* stream);
typedef int (*FlintCudaMemsetFn)(FlintCudaContext* ctx, void* dst, int value, FlintCudaSize bytes);
typedef int (*FlintCudaStreamCreateFn)(FlintCudaContext* ctx, FlintCudaStream** out);
typedef int (*FlintCudaStreamFn)(FlintCudaContext* ctx, FlintCudaStream* stream);
// *done = 1 when everything queued on `stream` has finished, else 0; never waits.
typedef int (*FlintCudaStreamQueryFn)(FlintCudaContext* ctx, FlintCudaStream* stream, int* done);

// ---- linear: y[t, r] = sum_c W[r, c] x[t, c] ----------------------------------------------

enum FlintCudaWeightFormat {
  FLINT_CUDA_WEIGHT_F32 = 0,
  FLINT_CUDA_WEIGHT_BF16 = 1,
  FLINT_CUDA_WEIGHT_FP8_BLOCK128 = 2,  // e4m3, E8M0 scales [ceil(rows/128), ceil(cols/128)]
  FLINT_CUDA_WEIGHT_FP4_GROUP32 = 3,   // e2m1 packed low nibble first, scales [rows, ceil(cols/32)]
};

// A weight in device memory, laid out as kernels/cpu/matmul.h's WeightView.
typedef struct FlintCudaWeight {
  int format;                   // FlintCudaWeightFormat
  const void* data;             // device
  const unsigned char* scales;  // device; null for F32 and BF16
  FlintCudaSize rows;
  FlintCudaSize cols;
  FlintCudaSize scaleRowOffset;  // FP8: the first row's index in the scale grid
} FlintCudaWeight;

// Decode path: W dequantized on the fly in fp32, up to 16 tokens per pass over W.
// x: [tokens, cols], y: [tokens, rows], fp32.
typedef int (*FlintCudaLinearFn)(FlintCudaContext* ctx, const FlintCudaWeight* w, const float* x,
                                 FlintCudaSize tokens, float* y, FlintCudaStream* stream);
// Prefill path: tiles of W dequantized to bf16, x rounded to bf16, cuBLASLt GEMM with fp32
// accumulation and output. Exact products when W is quantized and x is exact in bf16.
typedef FlintCudaLinearFn FlintCudaLinearGemmFn;

// ---- vector ops (kernels/cpu/vector_ops.h), fp32, in place where no `out` ----------------

// out[r] = w * x[r] / sqrt(mean(x[r]^2) + eps) over rows of n; w may be null.
typedef int (*FlintCudaRmsNormFn)(FlintCudaContext* ctx, const float* x, const float* w,
                                  FlintCudaSize rows, FlintCudaSize n, float eps, float* out,
                                  FlintCudaStream* stream);
// Row i's pairs start at x + i * rowStride; it takes angle row i / rowsPerPosition of the
// [positions, pairs] cos/sin tables. conjugate != 0 rotates the other way.
typedef int (*FlintCudaRotatePairsFn)(FlintCudaContext* ctx, float* x, FlintCudaSize rows,
                                      FlintCudaSize rowStride, const float* cos, const float* sin,
                                      FlintCudaSize rowsPerPosition, FlintCudaSize pairs,
                                      int conjugate, FlintCudaStream* stream);
typedef int (*FlintCudaSoftmaxRowsFn)(FlintCudaContext* ctx, float* x, FlintCudaSize rows,
                                      FlintCudaSize n, FlintCudaStream* stream);
typedef int (*FlintCudaRoundToBf16Fn)(FlintCudaContext* ctx, float* x, FlintCudaSize n,
                                      FlintCudaStream* stream);
// Each row of n is split into blocks of `block` values (the last one partial).
typedef int (*FlintCudaFakeQuantFn)(FlintCudaContext* ctx, float* x, FlintCudaSize rows,
                                    FlintCudaSize n, FlintCudaSize block, FlintCudaStream* stream);
// n a power of two, at most 8192.
typedef int (*FlintCudaHadamardFn)(FlintCudaContext* ctx, float* x, FlintCudaSize rows,
                                   FlintCudaSize n, FlintCudaStream* stream);
// out[r, 0..min(k, n)): indices of row r's largest values, largest first, ties to the lower
// index; k at most 2048.
typedef int (*FlintCudaTopKFn)(FlintCudaContext* ctx, const float* values, FlintCudaSize rows,
                               FlintCudaSize n, FlintCudaSize k, int* out, FlintCudaStream* stream);
// out[r]: the index of row r's largest value, the lowest on ties.
typedef int (*FlintCudaArgmaxFn)(FlintCudaContext* ctx, const float* values, FlintCudaSize rows,
                                 FlintCudaSize n, int* out, FlintCudaStream* stream);
// g[t, i] = silu(min(g, limit)) * clamp(u, -limit, limit) * (tokenWeights ? tokenWeights[t] : 1)
// over [tokens, n]; engine/model/moe.cpp's clamped SwiGLU.
typedef int (*FlintCudaSwigluFn)(FlintCudaContext* ctx, float* g, const float* u,
                                 const float* tokenWeights, FlintCudaSize tokens, FlintCudaSize n,
                                 float limit, FlintCudaStream* stream);

// MoE routing as engine/model/moe.cpp does it: score = sqrt(softplus(logit)); the k experts
// with the largest score + bias (or, when tid2eid is not null, tid2eid[ids[t] * k + j]);
// weight = score / sum(chosen scores) (normalize != 0) or score, times routedScale.
typedef struct FlintCudaRouting {
  const float* logits;  // [tokens, experts]
  const float* bias;    // [experts]; unused with tid2eid
  const int* tid2eid;   // [vocab, k] or null
  const int* ids;       // [tokens] token ids, with tid2eid
  FlintCudaSize tokens;
  FlintCudaSize experts;  // at most 4096
  FlintCudaSize k;        // at most 64
  int normalize;
  float routedScale;
  int* chosen;     // out [tokens, k]
  float* weights;  // out [tokens, k]
} FlintCudaRouting;
typedef int (*FlintCudaRouteFn)(FlintCudaContext* ctx, const FlintCudaRouting* routing,
                                FlintCudaStream* stream);

// ---- mHC and sparse attention (engine/model/hyper_connections.cpp, attention.cpp) -------

typedef struct FlintCudaHyperShape {
  FlintCudaSize streams;   // hc_mult, at most 16
  FlintCudaSize hidden;    // d
  FlintCudaSize mixWidth;  // (2 + hc) * hc at a block site; hc at the head (pre only)
  int sinkhornIters;
  float hcEps;
  float normEps;
} FlintCudaHyperShape;
// From X [tokens, streams * hidden] and mix = fn . X [tokens, mixWidth] (a linear): the mix
// scaled by 1 / rms(X), then pre [tokens, streams] and, at a block site, post [tokens, streams]
// and the Sinkhorn-projected comb [tokens, streams, streams]. scale [3] and base [mixWidth].
typedef int (*FlintCudaHcPreFn)(FlintCudaContext* ctx, const FlintCudaHyperShape* shape,
                                const float* x, const float* mix, const float* scale,
                                const float* base, FlintCudaSize tokens, float* pre, float* post,
                                float* comb, FlintCudaStream* stream);
// y[t] = sum_i pre[t, i] * X[t, i]: y [tokens, hidden].
typedef int (*FlintCudaHcWeightedSumFn)(FlintCudaContext* ctx, const float* x, const float* pre,
                                        FlintCudaSize tokens, FlintCudaSize streams,
                                        FlintCudaSize hidden, float* y, FlintCudaStream* stream);
// out[t, j] = post[t, j] * f[t] + sum_i comb[t, i, j] * res[t, i]; out must not alias res.
typedef int (*FlintCudaHcPostFn)(FlintCudaContext* ctx, const float* f, const float* res,
                                 const float* post, const float* comb, FlintCudaSize tokens,
                                 FlintCudaSize streams, FlintCudaSize hidden, float* out,
                                 FlintCudaStream* stream);

// Attention of each query head over its token's gathered entries (keys that are also the
// values) with a per-head sink that joins the softmax but adds no value.
typedef struct FlintCudaSparseAttention {
  const float* q;        // [tokens, heads, headDim]
  const float* entries;  // [any, headDim]
  const int* indices;    // [tokens, maxKeys]: the entry rows token t attends to
  const int* counts;     // [tokens]: how many of its maxKeys indices token t uses
  const float* sink;     // [heads]
  FlintCudaSize tokens, heads, headDim;
  FlintCudaSize maxKeys;  // at most 12288
  float scale;            // usually 1 / sqrt(headDim)
  float* out;             // [tokens, heads, headDim]
} FlintCudaSparseAttention;
typedef int (*FlintCudaSparseAttentionFn)(FlintCudaContext* ctx,
                                          const FlintCudaSparseAttention* attention,
                                          FlintCudaStream* stream);

// ---- the forward pass's remaining ops (ABI 3) -----------------------------------------------

// out[t, s, :] = embed[ids[t], :] (bf16 widened to fp32) for each of `streams` streams:
// out [tokens, streams, hidden]; embed [vocab, hidden] bf16 (as uint16).
typedef int (*FlintCudaEmbedFn)(FlintCudaContext* ctx, const unsigned short* embed, const int* ids,
                                FlintCudaSize tokens, FlintCudaSize hidden, FlintCudaSize streams,
                                float* out, FlintCudaStream* stream);
// x[i] *= factor over n.
typedef int (*FlintCudaScaleFn)(FlintCudaContext* ctx, float* x, FlintCudaSize n, float factor,
                                FlintCudaStream* stream);
// y[i] += x[i] over n.
typedef int (*FlintCudaAddFn)(FlintCudaContext* ctx, float* y, const float* x, FlintCudaSize n,
                              FlintCudaStream* stream);
// `rows` rows of widthBytes from src (rows srcPitch bytes apart) to dst (dstPitch apart), both
// on the device.
typedef int (*FlintCudaCopy2dFn)(FlintCudaContext* ctx, void* dst, FlintCudaSize dstPitch,
                                 const void* src, FlintCudaSize srcPitch, FlintCudaSize widthBytes,
                                 FlintCudaSize rows, FlintCudaStream* stream);
// dst[i, :] = src[rows[i], :] for i < count, rows of `width` floats.
typedef int (*FlintCudaGatherRowsFn)(FlintCudaContext* ctx, const float* src, const int* rows,
                                     FlintCudaSize count, FlintCudaSize width, float* dst,
                                     FlintCudaStream* stream);
// dst[rows[i], :] += src[i, :] for i < count, in order of i; rows distinct.
typedef int (*FlintCudaScatterAddRowsFn)(FlintCudaContext* ctx, float* dst, const int* rows,
                                         FlintCudaSize count, FlintCudaSize width, const float* src,
                                         FlintCudaStream* stream);

// The KV compressor (engine/model/compressor.cpp) over a run of positions start..start+tokens-1.
// For every window [e * ratio, (e + 1) * ratio) that ends in the run, entries[e] is the
// per-channel softmax(gate + ape)-weighted sum (in double) over the window's rows (with overlap,
// channels == 2 * width: the previous window's first halves, when e > 0, then this window's
// second halves). Rows before `start` come from the rings; afterwards the rings hold the last
// 2 * ratio positions' rows (gate with ape added), by position mod 2 * ratio. Entries are
// written before any norm or rotation: the caller applies those to the new rows.
typedef struct FlintCudaCompressor {
  const float* kv;    // [tokens, channels]
  const float* gate;  // [tokens, channels], without ape
  const float* ape;   // [ratio, channels]
  float* ringKv;      // [2 * ratio, channels], read and updated
  float* ringGate;    // [2 * ratio, channels], read and updated
  float* entries;     // [>= (start + tokens) / ratio, width]
  long long start;
  FlintCudaSize tokens, ratio, width, channels;
  // A captured decode step's position comes from device memory: when not null, start is read
  // from here when the op runs, and `start` is ignored. The host then checks nothing that
  // depends on it; a negative start on the device makes the op do nothing.
  const long long* startOnDevice;
  // When not null, the entries this run completes go to staging rows 0, 1, ... (at most
  // ceil(tokens / ratio) of them) instead of their places in `entries` (which may then be
  // null; a captured step cannot know them); flint_cuda_commit_entries moves them after the
  // caller has finished them.
  float* staging;
} FlintCudaCompressor;
typedef int (*FlintCudaCompressFn)(FlintCudaContext* ctx, const FlintCudaCompressor* compressor,
                                   FlintCudaStream* stream);
// Copies the staging rows of a flint_cuda_compress run over positions start..start+tokens-1
// (start from startOnDevice when not null) to their places in entries: entry e is row e.
typedef int (*FlintCudaCommitEntriesFn)(FlintCudaContext* ctx, const float* staging, float* entries,
                                        FlintCudaSize width, FlintCudaSize ratio, long long start,
                                        const long long* startOnDevice, FlintCudaSize tokens,
                                        FlintCudaStream* stream);
// The window ring's update after a pass: of `tokens` rows (positions start..), the last
// min(tokens, ringRows) go to ring rows position mod ringRows. start as for commit_entries.
typedef int (*FlintCudaRingUpdateFn)(FlintCudaContext* ctx, float* ring, FlintCudaSize ringRows,
                                     FlintCudaSize width, const float* rows, FlintCudaSize tokens,
                                     long long start, const long long* startOnDevice,
                                     FlintCudaStream* stream);

// The lightning indexer's scores: for token t at position start + t, which may see the first
// usable = (start + t + 1) / ratio keys, scores[t, e] = sum_h weights[t, h] * max(0, q[t, h] .
// k[e]) for e < usable (heads summed in order), and -infinity for usable <= e < entries.
typedef struct FlintCudaIndexerScores {
  const float* q;        // [tokens, heads, dim]
  const float* weights;  // [tokens, heads]
  const float* keys;     // [>= entries, dim]
  long long start;
  FlintCudaSize tokens, heads, dim, ratio;
  FlintCudaSize entries;           // the row length of scores
  float* scores;                   // out [tokens, entries]
  const long long* startOnDevice;  // as in FlintCudaCompressor
} FlintCudaIndexerScores;
typedef int (*FlintCudaIndexerScoresFn)(FlintCudaContext* ctx, const FlintCudaIndexerScores* s,
                                        FlintCudaStream* stream);

// The keys each token attends to, as rows of one entry array (see FlintCudaSparseAttention),
// in the CPU's order: the window oldest first (position p is row batchRow + p - start when
// p >= start, else ring row p % window), then the compressed entries it may see, usable =
// (pos + 1) / ratio of them: picked[t, 0..min(topk, usable)) when picked is not null, else all
// of them in order; entry e is row compressedRow + e. ratio 0: no compressed entries.
typedef struct FlintCudaAttentionIndices {
  long long start;
  FlintCudaSize tokens, window, batchRow, compressedRow, ratio;
  const int* picked;  // [tokens, pickedStride] or null
  FlintCudaSize pickedStride, topk;
  FlintCudaSize maxKeys;  // the row length of indices
  int* indices;           // out [tokens, maxKeys]
  int* counts;            // out [tokens]
  // As in FlintCudaCompressor; the host cannot check the rows then, so the device cuts a list
  // at maxKeys (and the picked entries at pickedStride) instead of refusing it.
  const long long* startOnDevice;
} FlintCudaAttentionIndices;
typedef int (*FlintCudaAttentionIndicesFn)(FlintCudaContext* ctx,
                                           const FlintCudaAttentionIndices* indices,
                                           FlintCudaStream* stream);

// Routed experts in one launch: group g multiplies its weight with `tokens` rows of x starting
// at row firstRow, into the same rows of y: y[firstRow + t, :] = W_g x[firstRow + t, :]. Every
// group's weight has `rows` rows and `cols` columns; `groups` is an array in device memory.
// Each row is computed as flint_cuda_linear computes it, so a group's result does not depend on
// the other groups.
typedef struct FlintCudaLinearGroup {
  FlintCudaWeight w;
  FlintCudaSize firstRow;
  FlintCudaSize tokens;
} FlintCudaLinearGroup;
typedef int (*FlintCudaGroupedLinearFn)(FlintCudaContext* ctx, const FlintCudaLinearGroup* groups,
                                        FlintCudaSize count, FlintCudaSize rows, FlintCudaSize cols,
                                        const float* x, float* y, FlintCudaStream* stream);
// dst[t, :] += src[rows[j], :] for j = offsets[t] .. offsets[t + 1] - 1, in that order, for each
// t < tokens: each token's routed outputs added in a fixed order. offsets [tokens + 1].
typedef int (*FlintCudaAddRowsByTokenFn)(FlintCudaContext* ctx, float* dst, const int* offsets,
                                         const int* rows, FlintCudaSize tokens, FlintCudaSize width,
                                         const float* src, FlintCudaStream* stream);

// ---- graphs: a decode step's ops captured once and replayed -------------------------------

// Between begin and end, the ops queued on `stream` (which must not be null) are recorded, not
// run; end gives the graph, launch runs it on any stream. While a stream records, ops on other
// streams and synchronous copies are errors (as in CUDA's stream capture). Arguments are taken
// when an op is recorded; what device memory holds is read when the graph runs.
typedef struct FlintCudaGraph FlintCudaGraph;
typedef int (*FlintCudaGraphBeginFn)(FlintCudaContext* ctx, FlintCudaStream* stream);
typedef int (*FlintCudaGraphEndFn)(FlintCudaContext* ctx, FlintCudaStream* stream,
                                   FlintCudaGraph** out);
typedef int (*FlintCudaGraphLaunchFn)(FlintCudaContext* ctx, FlintCudaGraph* graph,
                                      FlintCudaStream* stream);
typedef int (*FlintCudaGraphDestroyFn)(FlintCudaContext* ctx, FlintCudaGraph* graph);

// ---- entry points: each type above is resolved from the symbol of the same name ---------
// flint_cuda_last_error, flint_cuda_context_create, flint_cuda_context_destroy,
// flint_cuda_malloc, flint_cuda_free, flint_cuda_host_alloc, flint_cuda_host_free,
// flint_cuda_copy_to_device, flint_cuda_copy_to_host (FlintCudaCopyFn),
// flint_cuda_copy_to_device_async, flint_cuda_copy_to_host_async (FlintCudaCopyAsyncFn),
// flint_cuda_memset, flint_cuda_stream_create (a stream that does not wait for the default
// stream), flint_cuda_stream_query,
// flint_cuda_stream_synchronize, flint_cuda_stream_destroy (FlintCudaStreamFn),
// flint_cuda_linear, flint_cuda_linear_gemm, flint_cuda_rms_norm, flint_cuda_rotate_pairs,
// flint_cuda_softmax_rows, flint_cuda_round_to_bf16,
// flint_cuda_fake_quant_e4m3 (FlintCudaFakeQuantFn), flint_cuda_hadamard, flint_cuda_top_k,
// flint_cuda_argmax, flint_cuda_swiglu, flint_cuda_route, flint_cuda_hc_pre,
// flint_cuda_hc_weighted_sum, flint_cuda_hc_post, flint_cuda_sparse_attention;
// ABI 3: flint_cuda_embed, flint_cuda_fake_quant_e2m1 (FlintCudaFakeQuantFn),
// flint_cuda_scale, flint_cuda_add, flint_cuda_copy_2d, flint_cuda_gather_rows,
// flint_cuda_scatter_add_rows, flint_cuda_compress, flint_cuda_indexer_scores,
// flint_cuda_attention_indices, flint_cuda_grouped_linear, flint_cuda_add_rows_by_token,
// flint_cuda_commit_entries, flint_cuda_ring_update, flint_cuda_graph_begin,
// flint_cuda_graph_end, flint_cuda_graph_launch, flint_cuda_graph_destroy.

#ifdef __cplusplus
}
#endif

#endif
