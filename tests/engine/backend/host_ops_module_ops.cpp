// The host emulation's linear, vector ops, MoE routing and the forward pass's data movement:
// each one the CPU kernel (kernels/cpu) or the engine loop it stands for, with the same float
// operations in the same order, so results are bit-identical to the CPU forward pass.
#include "kernels/cpu/matmul.h"
#include "kernels/cpu/quant_formats.h"
#include "kernels/cpu/vector_ops.h"
#include "tests/engine/backend/host_ops_module.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

using namespace flint::host_ops;
namespace kernels = flint::kernels;

namespace {

constexpr unsigned long long kFloat = sizeof(float), kInt = sizeof(int);
constexpr unsigned long long kMaxHadamard = 8192, kMaxTopK = 2048;
constexpr unsigned long long kMaxExperts = 4096, kMaxRouteK = 64;
constexpr unsigned long long kMaxGroups = 65535;  // the device's grid height

unsigned long long ceilDiv(unsigned long long a, unsigned long long b) {
  return (a + b - 1) / b;
}

// The weight's checks, and its view as the CPU matmul takes it.
int checkWeight(const char* op, const FlintCudaWeight* w, const float* x, FlintCudaSize tokens,
                const float* y, kernels::WeightView& view) {
  if (!w) return fail("The CUDA op %s was called without a weight.", op);
  if (w->rows == 0 || w->cols == 0) return fail("The CUDA op %s was given an empty weight.", op);
  unsigned long long dataBytes = 0, scaleBytes = 0;
  switch (w->format) {
    case FLINT_CUDA_WEIGHT_F32:
      view.format = kernels::WeightFormat::F32;
      dataBytes = w->rows * w->cols * kFloat;
      break;
    case FLINT_CUDA_WEIGHT_BF16:
      view.format = kernels::WeightFormat::BF16;
      dataBytes = w->rows * w->cols * 2;
      break;
    case FLINT_CUDA_WEIGHT_FP8_BLOCK128:
      view.format = kernels::WeightFormat::Fp8Block128;
      dataBytes = w->rows * w->cols;
      scaleBytes = ceilDiv(w->rows + w->scaleRowOffset, 128) * ceilDiv(w->cols, 128);
      break;
    case FLINT_CUDA_WEIGHT_FP4_GROUP32:
      view.format = kernels::WeightFormat::Fp4Group32;
      dataBytes = w->rows * ceilDiv(w->cols, 2);
      scaleBytes = w->rows * ceilDiv(w->cols, 32);
      break;
    default:
      return fail("The CUDA op %s was given an unknown weight format (%d).", op, w->format);
  }
  if (const int s = needMemory(op, "the weight", w->data, dataBytes)) return s;
  if (const int s = needMemory(op, "the weight's scales", w->scales, scaleBytes)) return s;
  if (const int s = needMemory(op, "x", x, tokens * w->cols * kFloat)) return s;
  if (const int s = needMemory(op, "y", y, tokens * w->rows * kFloat)) return s;
  view.data = w->data;
  view.scales = w->scales;
  view.rows = w->rows;
  view.cols = w->cols;
  view.scaleRowOffset = w->scaleRowOffset;
  return FLINT_CUDA_OK;
}

// Every linear is engine/model/linear.cpp's kernels::matmul (the caller applies the input's
// fake quantization and the output's rounding as separate ops), on the context's pool unless
// another caller holds it.
void matmul(FlintCudaContext* ctx, const kernels::WeightView& view, const float* x,
            FlintCudaSize tokens, float* y) {
  std::unique_lock lock(ctx->poolMutex, std::try_to_lock);
  kernels::matmul(view, x, tokens, y, lock.owns_lock() ? &ctx->pool : nullptr);
}

int linear(const char* op, FlintCudaContext* ctx, const FlintCudaWeight* w, const float* x,
           FlintCudaSize tokens, float* y, FlintCudaStream* stream) {
  if (const int s = needContext(ctx, stream)) return s;
  if (tokens == 0) return FLINT_CUDA_OK;
  kernels::WeightView view;
  if (const int s = checkWeight(op, w, x, tokens, y, view)) return s;
  matmul(ctx, view, x, tokens, y);
  return FLINT_CUDA_OK;
}

using RowFn = void (*)(float* x, std::size_t n, std::size_t block);

int fakeQuant(const char* op, FlintCudaContext* ctx, float* x, FlintCudaSize rows, FlintCudaSize n,
              FlintCudaSize block, FlintCudaStream* stream, RowFn quantize) {
  if (const int s = needContext(ctx, stream)) return s;
  if (rows == 0 || n == 0) return FLINT_CUDA_OK;
  if (block == 0) return fail("The CUDA op %s was given a block of 0 values.", op);
  if (const int s = needMemory(op, "x", x, rows * n * kFloat)) return s;
  for (FlintCudaSize r = 0; r < rows; ++r) quantize(x + r * n, n, block);
  return FLINT_CUDA_OK;
}

// Indices into a table of rows of rowBytes at `table`: each must name a row its allocation holds.
int needRows(const char* op, const char* what, const void* table, unsigned long long rowBytes,
             const int* rows, FlintCudaSize count) {
  if (!table) return fail("The CUDA op %s was called with a null pointer for %s.", op, what);
  const unsigned long long available = bytesFrom(table) / rowBytes;
  for (FlintCudaSize i = 0; i < count; ++i)
    if (rows[i] < 0 || (unsigned long long)(rows[i]) >= available)
      return fail("The CUDA op %s was given row %d of %s, which holds %llu rows.", op, rows[i],
                  what, available);
  return FLINT_CUDA_OK;
}

}  // namespace

// ---- linear ------------------------------------------------------------------------------

FLINT_HOST_OPS_EXPORT int flint_cuda_linear(FlintCudaContext* ctx, const FlintCudaWeight* w,
                                            const float* x, FlintCudaSize tokens, float* y,
                                            FlintCudaStream* stream) {
  FLINT_HOST_OPS_RECORD(flint_cuda_linear, ctx, w, x, tokens, y, stream);
  return linear("linear", ctx, w, x, tokens, y, stream);
}

FLINT_HOST_OPS_EXPORT int flint_cuda_linear_gemm(FlintCudaContext* ctx, const FlintCudaWeight* w,
                                                 const float* x, FlintCudaSize tokens, float* y,
                                                 FlintCudaStream* stream) {
  FLINT_HOST_OPS_RECORD(flint_cuda_linear_gemm, ctx, w, x, tokens, y, stream);
  return linear("linearGemm", ctx, w, x, tokens, y, stream);
}

// Each group is flint_cuda_linear on its rows of x and y. Every group is checked before any
// runs: the shape the call promises, its weight and its rows of x and y.
FLINT_HOST_OPS_EXPORT int flint_cuda_grouped_linear(FlintCudaContext* ctx,
                                                    const FlintCudaLinearGroup* groups,
                                                    FlintCudaSize count, FlintCudaSize rows,
                                                    FlintCudaSize cols, const float* x, float* y,
                                                    FlintCudaStream* stream) {
  FLINT_HOST_OPS_RECORD(flint_cuda_grouped_linear, ctx, groups, count, rows, cols, x, y, stream);
  if (const int s = needContext(ctx, stream)) return s;
  if (count == 0) return FLINT_CUDA_OK;
  const char* op = "groupedLinear";
  if (!x || !y) return fail("The CUDA op %s was called with a null pointer for x or y.", op);
  if (rows == 0 || cols == 0)
    return fail("The CUDA op %s was given an empty weight shape (%llu x %llu).", op, rows, cols);
  if (count > kMaxGroups)
    return fail("The CUDA op %s takes at most %llu groups, not %llu.", op, kMaxGroups, count);
  if (const int s = needMemory(op, "the groups", groups, count * sizeof(FlintCudaLinearGroup)))
    return s;
  thread_local std::vector<kernels::WeightView> views;
  views.resize(count);
  for (FlintCudaSize g = 0; g < count; ++g) {
    const FlintCudaLinearGroup& group = groups[g];
    if (group.tokens == 0) continue;
    if (group.w.rows != rows || group.w.cols != cols)
      return fail("The CUDA op %s was given a %llu x %llu weight in group %llu of %llu x %llu.", op,
                  group.w.rows, group.w.cols, g, rows, cols);
    if (const int s = checkWeight(op, &group.w, x + group.firstRow * cols, group.tokens,
                                  y + group.firstRow * rows, views[g]))
      return s;
  }
  for (FlintCudaSize g = 0; g < count; ++g) {
    const FlintCudaLinearGroup& group = groups[g];
    if (group.tokens == 0) continue;
    matmul(ctx, views[g], x + group.firstRow * cols, group.tokens, y + group.firstRow * rows);
  }
  return FLINT_CUDA_OK;
}

// ---- vector ops ----------------------------------------------------------------------------

FLINT_HOST_OPS_EXPORT int flint_cuda_rms_norm(FlintCudaContext* ctx, const float* x, const float* w,
                                              FlintCudaSize rows, FlintCudaSize n, float eps,
                                              float* out, FlintCudaStream* stream) {
  FLINT_HOST_OPS_RECORD(flint_cuda_rms_norm, ctx, x, w, rows, n, eps, out, stream);
  if (const int s = needContext(ctx, stream)) return s;
  if (rows == 0 || n == 0) return FLINT_CUDA_OK;
  if (const int s = needMemory("rmsNorm", "x", x, rows * n * kFloat)) return s;
  if (w)
    if (const int s = needMemory("rmsNorm", "the weight", w, n * kFloat)) return s;
  if (const int s = needMemory("rmsNorm", "out", out, rows * n * kFloat)) return s;
  for (FlintCudaSize r = 0; r < rows; ++r) kernels::rmsNorm(x + r * n, w, n, eps, out + r * n);
  return FLINT_CUDA_OK;
}

FLINT_HOST_OPS_EXPORT int flint_cuda_rotate_pairs(FlintCudaContext* ctx, float* x,
                                                  FlintCudaSize rows, FlintCudaSize rowStride,
                                                  const float* cos, const float* sin,
                                                  FlintCudaSize rowsPerPosition,
                                                  FlintCudaSize pairs, int conjugate,
                                                  FlintCudaStream* stream) {
  FLINT_HOST_OPS_RECORD(flint_cuda_rotate_pairs, ctx, x, rows, rowStride, cos, sin, rowsPerPosition,
                        pairs, conjugate, stream);
  if (const int s = needContext(ctx, stream)) return s;
  if (rows == 0 || pairs == 0) return FLINT_CUDA_OK;
  if (rowsPerPosition == 0)
    return fail("The CUDA op rotatePairs was given 0 rows per position; it needs at least 1.");
  const unsigned long long angles = ((rows - 1) / rowsPerPosition + 1) * pairs * kFloat;
  if (const int s =
          needMemory("rotatePairs", "x", x, ((rows - 1) * rowStride + 2 * pairs) * kFloat))
    return s;
  if (const int s = needMemory("rotatePairs", "cos", cos, angles)) return s;
  if (const int s = needMemory("rotatePairs", "sin", sin, angles)) return s;
  for (FlintCudaSize i = 0; i < rows; ++i) {
    const FlintCudaSize position = i / rowsPerPosition;
    kernels::rotatePairs(x + i * rowStride, cos + position * pairs, sin + position * pairs, pairs,
                         conjugate != 0);
  }
  return FLINT_CUDA_OK;
}

FLINT_HOST_OPS_EXPORT int flint_cuda_softmax_rows(FlintCudaContext* ctx, float* x,
                                                  FlintCudaSize rows, FlintCudaSize n,
                                                  FlintCudaStream* stream) {
  FLINT_HOST_OPS_RECORD(flint_cuda_softmax_rows, ctx, x, rows, n, stream);
  if (const int s = needContext(ctx, stream)) return s;
  if (const int s = needMemory("softmax", "x", x, rows * n * kFloat)) return s;
  for (FlintCudaSize r = 0; r < rows; ++r) kernels::softmax(x + r * n, n);
  return FLINT_CUDA_OK;
}

FLINT_HOST_OPS_EXPORT int flint_cuda_round_to_bf16(FlintCudaContext* ctx, float* x, FlintCudaSize n,
                                                   FlintCudaStream* stream) {
  FLINT_HOST_OPS_RECORD(flint_cuda_round_to_bf16, ctx, x, n, stream);
  if (const int s = needContext(ctx, stream)) return s;
  if (const int s = needMemory("roundToBf16", "x", x, n * kFloat)) return s;
  if (n) kernels::roundToBf16(x, n);
  return FLINT_CUDA_OK;
}

FLINT_HOST_OPS_EXPORT int flint_cuda_fake_quant_e4m3(FlintCudaContext* ctx, float* x,
                                                     FlintCudaSize rows, FlintCudaSize n,
                                                     FlintCudaSize block, FlintCudaStream* stream) {
  FLINT_HOST_OPS_RECORD(flint_cuda_fake_quant_e4m3, ctx, x, rows, n, block, stream);
  return fakeQuant("fakeQuantE4m3", ctx, x, rows, n, block, stream, kernels::fakeQuantE4m3);
}

FLINT_HOST_OPS_EXPORT int flint_cuda_fake_quant_e2m1(FlintCudaContext* ctx, float* x,
                                                     FlintCudaSize rows, FlintCudaSize n,
                                                     FlintCudaSize block, FlintCudaStream* stream) {
  FLINT_HOST_OPS_RECORD(flint_cuda_fake_quant_e2m1, ctx, x, rows, n, block, stream);
  return fakeQuant("fakeQuantE2m1", ctx, x, rows, n, block, stream, kernels::fakeQuantE2m1);
}

FLINT_HOST_OPS_EXPORT int flint_cuda_hadamard(FlintCudaContext* ctx, float* x, FlintCudaSize rows,
                                              FlintCudaSize n, FlintCudaStream* stream) {
  FLINT_HOST_OPS_RECORD(flint_cuda_hadamard, ctx, x, rows, n, stream);
  if (const int s = needContext(ctx, stream)) return s;
  if (rows == 0 || n == 0) return FLINT_CUDA_OK;
  if ((n & (n - 1)) != 0 || n > kMaxHadamard)
    return fail("The CUDA Hadamard transform needs a power of two up to %llu values, not %llu.",
                kMaxHadamard, n);
  if (const int s = needMemory("hadamard", "x", x, rows * n * kFloat)) return s;
  for (FlintCudaSize r = 0; r < rows; ++r) kernels::hadamardNormalized(x + r * n, n);
  return FLINT_CUDA_OK;
}

// Row r's indices at out + r * min(k, n), as the CUDA module writes them.
FLINT_HOST_OPS_EXPORT int flint_cuda_top_k(FlintCudaContext* ctx, const float* values,
                                           FlintCudaSize rows, FlintCudaSize n, FlintCudaSize k,
                                           int* out, FlintCudaStream* stream) {
  FLINT_HOST_OPS_RECORD(flint_cuda_top_k, ctx, values, rows, n, k, out, stream);
  if (const int s = needContext(ctx, stream)) return s;
  if (k > kMaxTopK) return fail("The CUDA top-k takes at most %llu values, not %llu.", kMaxTopK, k);
  k = std::min(k, n);
  if (rows == 0 || k == 0) return FLINT_CUDA_OK;
  if (const int s = needMemory("topK", "the values", values, rows * n * kFloat)) return s;
  if (const int s = needMemory("topK", "out", out, rows * k * kInt)) return s;
  for (FlintCudaSize r = 0; r < rows; ++r) kernels::topK(values + r * n, n, k, out + r * k);
  return FLINT_CUDA_OK;
}

// std::max_element's pick, as engine/sampling/sampler.cpp's greedy argmax.
FLINT_HOST_OPS_EXPORT int flint_cuda_argmax(FlintCudaContext* ctx, const float* values,
                                            FlintCudaSize rows, FlintCudaSize n, int* out,
                                            FlintCudaStream* stream) {
  FLINT_HOST_OPS_RECORD(flint_cuda_argmax, ctx, values, rows, n, out, stream);
  if (const int s = needContext(ctx, stream)) return s;
  if (rows == 0) return FLINT_CUDA_OK;
  if (const int s = needMemory("argmax", "the values", values, rows * n * kFloat)) return s;
  if (const int s = needMemory("argmax", "out", out, rows * kInt)) return s;
  for (FlintCudaSize r = 0; r < rows; ++r) {
    const float* row = values + r * n;
    out[r] = int(std::max_element(row, row + n) - row);
  }
  return FLINT_CUDA_OK;
}

// engine/model/moe.cpp runExpert's loop.
FLINT_HOST_OPS_EXPORT int flint_cuda_swiglu(FlintCudaContext* ctx, float* g, const float* u,
                                            const float* tokenWeights, FlintCudaSize tokens,
                                            FlintCudaSize n, float limit, FlintCudaStream* stream) {
  FLINT_HOST_OPS_RECORD(flint_cuda_swiglu, ctx, g, u, tokenWeights, tokens, n, limit, stream);
  if (const int s = needContext(ctx, stream)) return s;
  if (tokens == 0 || n == 0) return FLINT_CUDA_OK;
  if (const int s = needMemory("swiglu", "g", g, tokens * n * kFloat)) return s;
  if (const int s = needMemory("swiglu", "u", u, tokens * n * kFloat)) return s;
  if (tokenWeights)
    if (const int s = needMemory("swiglu", "the token weights", tokenWeights, tokens * kFloat))
      return s;
  for (FlintCudaSize i = 0; i < tokens * n; ++i) {
    const float up = std::clamp(u[i], -limit, limit);
    g[i] = kernels::silu(std::min(g[i], limit)) * up;
    if (tokenWeights) g[i] *= tokenWeights[i / n];
  }
  return FLINT_CUDA_OK;
}

// engine/model/moe.cpp Moe::forward's routing, without touching the logits.
FLINT_HOST_OPS_EXPORT int flint_cuda_route(FlintCudaContext* ctx, const FlintCudaRouting* r,
                                           FlintCudaStream* stream) {
  FLINT_HOST_OPS_RECORD(flint_cuda_route, ctx, r, stream);
  if (const int s = needContext(ctx, stream)) return s;
  if (!r) return fail("The CUDA MoE routing was called without its arguments.");
  if (r->tokens == 0) return FLINT_CUDA_OK;
  const FlintCudaSize E = r->experts, k = r->k;
  if (E == 0 || E > kMaxExperts || k == 0 || k > kMaxRouteK || k > E)
    return fail(
        "The CUDA MoE routing takes 1 to %llu experts and k from 1 to %llu (at most the "
        "experts), not %llu experts and k = %llu.",
        kMaxExperts, kMaxRouteK, E, k);
  const char* op = "route";
  if (const int s = needMemory(op, "the logits", r->logits, r->tokens * E * kFloat)) return s;
  if (const int s = needMemory(op, "chosen", r->chosen, r->tokens * k * kInt)) return s;
  if (const int s = needMemory(op, "the weights", r->weights, r->tokens * k * kFloat)) return s;
  if (r->tid2eid) {
    if (const int s = needMemory(op, "the token ids", r->ids, r->tokens * kInt)) return s;
    if (const int s = needRows(op, "tid2eid", r->tid2eid, k * kInt, r->ids, r->tokens)) return s;
  } else if (const int s = needMemory(op, "the bias", r->bias, E * kFloat)) {
    return s;
  }
  thread_local std::vector<float> score, biased;
  score.resize(E);
  biased.resize(E);
  for (FlintCudaSize t = 0; t < r->tokens; ++t) {
    const float* logits = r->logits + t * E;
    int* chosen = r->chosen + t * k;
    for (FlintCudaSize e = 0; e < E; ++e) score[e] = std::sqrt(kernels::softplus(logits[e]));
    if (r->tid2eid) {
      std::copy_n(r->tid2eid + FlintCudaSize(r->ids[t]) * k, k, chosen);
      for (FlintCudaSize j = 0; j < k; ++j)
        if (chosen[j] < 0 || FlintCudaSize(chosen[j]) >= E)
          return fail("The CUDA MoE routing found expert %d in tid2eid; there are %llu.", chosen[j],
                      E);
    } else {
      for (FlintCudaSize e = 0; e < E; ++e) biased[e] = score[e] + r->bias[e];
      kernels::topK(biased.data(), E, k, chosen);
    }
    float total = 0;
    for (FlintCudaSize j = 0; j < k; ++j) total += score[FlintCudaSize(chosen[j])];
    for (FlintCudaSize j = 0; j < k; ++j) {
      const float s = score[FlintCudaSize(chosen[j])];
      r->weights[t * k + j] = (r->normalize ? s / total : s) * r->routedScale;
    }
  }
  return FLINT_CUDA_OK;
}

// ---- the forward pass's data movement (ABI 3) ------------------------------------------------

FLINT_HOST_OPS_EXPORT int flint_cuda_embed(FlintCudaContext* ctx, const unsigned short* embed,
                                           const int* ids, FlintCudaSize tokens,
                                           FlintCudaSize hidden, FlintCudaSize streams, float* out,
                                           FlintCudaStream* stream) {
  FLINT_HOST_OPS_RECORD(flint_cuda_embed, ctx, embed, ids, tokens, hidden, streams, out, stream);
  if (const int s = needContext(ctx, stream)) return s;
  if (tokens == 0 || hidden == 0 || streams == 0) return FLINT_CUDA_OK;
  if (const int s = needMemory("embed", "the token ids", ids, tokens * kInt)) return s;
  if (const int s = needMemory("embed", "out", out, tokens * streams * hidden * kFloat)) return s;
  if (const int s = needRows("embed", "the embedding", embed, hidden * 2, ids, tokens)) return s;
  for (FlintCudaSize t = 0; t < tokens; ++t) {
    const unsigned short* row = embed + FlintCudaSize(ids[t]) * hidden;
    for (FlintCudaSize s = 0; s < streams; ++s)
      for (FlintCudaSize i = 0; i < hidden; ++i)
        out[(t * streams + s) * hidden + i] = kernels::bf16ToF32(row[i]);
  }
  return FLINT_CUDA_OK;
}

FLINT_HOST_OPS_EXPORT int flint_cuda_scale(FlintCudaContext* ctx, float* x, FlintCudaSize n,
                                           float factor, FlintCudaStream* stream) {
  FLINT_HOST_OPS_RECORD(flint_cuda_scale, ctx, x, n, factor, stream);
  if (const int s = needContext(ctx, stream)) return s;
  if (const int s = needMemory("scale", "x", x, n * kFloat)) return s;
  for (FlintCudaSize i = 0; i < n; ++i) x[i] *= factor;
  return FLINT_CUDA_OK;
}

FLINT_HOST_OPS_EXPORT int flint_cuda_add(FlintCudaContext* ctx, float* y, const float* x,
                                         FlintCudaSize n, FlintCudaStream* stream) {
  FLINT_HOST_OPS_RECORD(flint_cuda_add, ctx, y, x, n, stream);
  if (const int s = needContext(ctx, stream)) return s;
  if (const int s = needMemory("add", "y", y, n * kFloat)) return s;
  if (const int s = needMemory("add", "x", x, n * kFloat)) return s;
  for (FlintCudaSize i = 0; i < n; ++i) y[i] += x[i];
  return FLINT_CUDA_OK;
}

FLINT_HOST_OPS_EXPORT int flint_cuda_copy_2d(FlintCudaContext* ctx, void* dst,
                                             FlintCudaSize dstPitch, const void* src,
                                             FlintCudaSize srcPitch, FlintCudaSize widthBytes,
                                             FlintCudaSize rows, FlintCudaStream* stream) {
  FLINT_HOST_OPS_RECORD(flint_cuda_copy_2d, ctx, dst, dstPitch, src, srcPitch, widthBytes, rows,
                        stream);
  if (const int s = needContext(ctx, stream)) return s;
  if (rows == 0 || widthBytes == 0) return FLINT_CUDA_OK;
  if (dstPitch < widthBytes || srcPitch < widthBytes)
    return fail("The CUDA op copy2d was given a pitch narrower than its rows (%llu bytes).",
                widthBytes);
  if (const int s = needMemory("copy2d", "dst", dst, (rows - 1) * dstPitch + widthBytes)) return s;
  if (const int s = needMemory("copy2d", "src", src, (rows - 1) * srcPitch + widthBytes)) return s;
  auto* to = static_cast<unsigned char*>(dst);
  const auto* from = static_cast<const unsigned char*>(src);
  for (FlintCudaSize r = 0; r < rows; ++r)
    std::memcpy(to + r * dstPitch, from + r * srcPitch, widthBytes);
  return FLINT_CUDA_OK;
}

FLINT_HOST_OPS_EXPORT int flint_cuda_gather_rows(FlintCudaContext* ctx, const float* src,
                                                 const int* rows, FlintCudaSize count,
                                                 FlintCudaSize width, float* dst,
                                                 FlintCudaStream* stream) {
  FLINT_HOST_OPS_RECORD(flint_cuda_gather_rows, ctx, src, rows, count, width, dst, stream);
  if (const int s = needContext(ctx, stream)) return s;
  if (count == 0 || width == 0) return FLINT_CUDA_OK;
  if (const int s = needMemory("gatherRows", "the rows", rows, count * kInt)) return s;
  if (const int s = needMemory("gatherRows", "dst", dst, count * width * kFloat)) return s;
  if (const int s = needRows("gatherRows", "src", src, width * kFloat, rows, count)) return s;
  for (FlintCudaSize i = 0; i < count; ++i)
    std::copy_n(src + FlintCudaSize(rows[i]) * width, width, dst + i * width);
  return FLINT_CUDA_OK;
}

FLINT_HOST_OPS_EXPORT int flint_cuda_scatter_add_rows(FlintCudaContext* ctx, float* dst,
                                                      const int* rows, FlintCudaSize count,
                                                      FlintCudaSize width, const float* src,
                                                      FlintCudaStream* stream) {
  FLINT_HOST_OPS_RECORD(flint_cuda_scatter_add_rows, ctx, dst, rows, count, width, src, stream);
  if (const int s = needContext(ctx, stream)) return s;
  if (count == 0 || width == 0) return FLINT_CUDA_OK;
  if (const int s = needMemory("scatterAddRows", "the rows", rows, count * kInt)) return s;
  if (const int s = needMemory("scatterAddRows", "src", src, count * width * kFloat)) return s;
  if (const int s = needRows("scatterAddRows", "dst", dst, width * kFloat, rows, count)) return s;
  for (FlintCudaSize i = 0; i < count; ++i) {
    float* o = dst + FlintCudaSize(rows[i]) * width;
    for (FlintCudaSize j = 0; j < width; ++j) o[j] += src[i * width + j];
  }
  return FLINT_CUDA_OK;
}

// engine/model/moe.cpp's combine: each token's routed rows added in their order.
FLINT_HOST_OPS_EXPORT int flint_cuda_add_rows_by_token(FlintCudaContext* ctx, float* dst,
                                                       const int* offsets, const int* rows,
                                                       FlintCudaSize tokens, FlintCudaSize width,
                                                       const float* src, FlintCudaStream* stream) {
  FLINT_HOST_OPS_RECORD(flint_cuda_add_rows_by_token, ctx, dst, offsets, rows, tokens, width, src,
                        stream);
  if (const int s = needContext(ctx, stream)) return s;
  if (tokens == 0 || width == 0) return FLINT_CUDA_OK;
  const char* op = "addRowsByToken";
  if (const int s = needMemory(op, "the offsets", offsets, (tokens + 1) * kInt)) return s;
  if (const int s = needMemory(op, "dst", dst, tokens * width * kFloat)) return s;
  for (FlintCudaSize t = 0; t < tokens; ++t)
    if (offsets[t] < 0 || offsets[t + 1] < offsets[t])
      return fail("The CUDA op %s was given offsets %d, %d for token %llu; they must not go down.",
                  op, offsets[t], offsets[t + 1], t);
  const FlintCudaSize end = FlintCudaSize(offsets[tokens]);
  if (const int s = needMemory(op, "the rows", rows, end * kInt)) return s;
  if (const int s = needRows(op, "src", src, width * kFloat, rows + offsets[0],
                             end - FlintCudaSize(offsets[0])))
    return s;
  for (FlintCudaSize t = 0; t < tokens; ++t) {
    float* out = dst + t * width;
    for (int j = offsets[t]; j < offsets[t + 1]; ++j) {
      const float* row = src + FlintCudaSize(rows[j]) * width;
      for (FlintCudaSize c = 0; c < width; ++c) out[c] += row[c];
    }
  }
  return FLINT_CUDA_OK;
}
