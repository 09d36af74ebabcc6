// Linear for many tokens (prefill): W is dequantized to bf16 one tile of rows at a time into a
// scratch, x is rounded to bf16 once, and cuBLASLt multiplies them with fp32 accumulation and
// output. Quantized weights (FP8, FP4, BF16) are exact in bf16, so for activations that are
// exact in bf16 (official numerics) only the summation order differs from the decode path.
#include "kernels/cuda/linear_common.cuh"
#include "kernels/cuda/ops_common.cuh"
#include "kernels/cuda/quant_decode.cuh"

#include <cuda_bf16.h>

namespace flint::cuda {
namespace {

constexpr unsigned long long kTileBytes = 64ull << 20;       // bf16 scratch for a tile of W
constexpr unsigned long long kWorkspaceBytes = 32ull << 20;  // cuBLASLt's own scratch
constexpr unsigned long long kLdAlign = 8;                   // bf16 leading dims: 16 bytes

// x [tokens, cols] fp32 -> xb [tokens, ld] bf16 (round to nearest even); one thread per element
// of the flattened [tokens, cols], grid-stride.
__global__ void toBf16Kernel(const float* x, unsigned long long tokens, unsigned long long cols,
                             unsigned long long ld, __nv_bfloat16* xb) {
  const unsigned long long count = tokens * cols;
  for (unsigned long long i = blockIdx.x * 256ull + threadIdx.x; i < count; i += 256ull * gridDim.x)
    xb[(i / cols) * ld + i % cols] = __float2bfloat16_rn(x[i]);
}

// Rows [r0, r0 + m) of W -> tile [m, ld] bf16; one thread per element of the flattened [m, cols],
// grid-stride. Quantized values convert exactly.
__global__ void dequantTileKernel(FlintCudaWeight w, unsigned long long r0, unsigned long long m,
                                  unsigned long long ld, __nv_bfloat16* tile) {
  const unsigned long long count = m * w.cols;
  for (unsigned long long i = blockIdx.x * 256ull + threadIdx.x; i < count;
       i += 256ull * gridDim.x) {
    const unsigned long long r = i / w.cols, c = i % w.cols;
    tile[r * ld + c] = __float2bfloat16_rn(weightAt(w, r0 + r, c));
  }
}

// The largest power of two (at most 256) that divides the address: what cuBLASLt may assume.
unsigned alignmentOf(const void* p) {
  const auto address = reinterpret_cast<unsigned long long>(p);
  unsigned a = 256;
  while (a > 1 && address % a) a /= 2;
  return a;
}

// Everything one call allocates, released on every return path: scratch freed in stream
// order, cuBLASLt descriptors destroyed.
struct GemmResources {
  cudaStream_t stream = nullptr;
  void* xb = nullptr;
  void* tile = nullptr;
  void* workspace = nullptr;
  cublasLtMatmulDesc_t desc = nullptr;
  cublasLtMatmulPreference_t preference = nullptr;
  ~GemmResources() {
    if (preference) cublasLtMatmulPreferenceDestroy(preference);
    if (desc) cublasLtMatmulDescDestroy(desc);
    for (void* p : {xb, tile, workspace})
      if (p) cudaFreeAsync(p, stream);
  }
};

struct Layouts {
  cublasLtMatrixLayout_t a = nullptr, b = nullptr, c = nullptr;
  ~Layouts() {
    for (cublasLtMatrixLayout_t l : {a, b, c})
      if (l) cublasLtMatrixLayoutDestroy(l);
  }
};

int allocate(void** p, unsigned long long bytes, cudaStream_t stream, const char* what) {
  const cudaError_t err = cudaMallocAsync(p, bytes, stream);
  if (err != cudaSuccess) {
    *p = nullptr;
    return failCuda(what, err);
  }
  return FLINT_CUDA_OK;
}

// One tile: D[m, n] (column-major, ldc = rows, at y + r0) = op(A) B with A the tile seen as
// column-major [cols, m] (ld) and transposed, B = xb seen as column-major [cols, tokens] (ld).
int multiplyTile(FlintCudaContext* ctx, GemmResources& g, const FlintCudaWeight& w,
                 unsigned long long m, unsigned long long tokens, unsigned long long ld, float* d) {
  Layouts l;
  cublasStatus_t s = cublasLtMatrixLayoutCreate(&l.a, CUDA_R_16BF, w.cols, m, ld);
  if (s == CUBLAS_STATUS_SUCCESS)
    s = cublasLtMatrixLayoutCreate(&l.b, CUDA_R_16BF, w.cols, tokens, ld);
  if (s == CUBLAS_STATUS_SUCCESS)
    s = cublasLtMatrixLayoutCreate(&l.c, CUDA_R_32F, m, tokens, w.rows);
  if (s != CUBLAS_STATUS_SUCCESS) return failCublas("cuBLASLt rejected a matrix layout", s);

  // Tell the heuristic the pointers' real alignment, so it never picks a kernel that needs more.
  const struct {
    cublasLtMatmulPreferenceAttributes_t attribute;
    unsigned alignment;
  } alignments[] = {{CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, alignmentOf(g.tile)},
                    {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, alignmentOf(g.xb)},
                    {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, alignmentOf(d)},
                    {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, alignmentOf(d)}};
  for (const auto& a : alignments) {
    s = cublasLtMatmulPreferenceSetAttribute(g.preference, a.attribute, &a.alignment,
                                             sizeof(a.alignment));
    if (s != CUBLAS_STATUS_SUCCESS) return failCublas("cuBLASLt rejected a preference", s);
  }

  cublasLtMatmulHeuristicResult_t heuristic{};
  int found = 0;
  s = cublasLtMatmulAlgoGetHeuristic(ctx->lt, g.desc, l.a, l.b, l.c, l.c, g.preference, 1,
                                     &heuristic, &found);
  if (s != CUBLAS_STATUS_SUCCESS || found == 0)
    return fail("cuBLASLt has no bf16 GEMM for a %llu x %llu weight and %llu tokens (%s).", w.rows,
                w.cols, tokens, cublasLtGetStatusName(s));
  const float alpha = 1.0f, beta = 0.0f;
  s = cublasLtMatmul(ctx->lt, g.desc, &alpha, g.tile, l.a, g.xb, l.b, &beta, d, l.c, d, l.c,
                     &heuristic.algo, g.workspace, kWorkspaceBytes, g.stream);
  return s == CUBLAS_STATUS_SUCCESS ? FLINT_CUDA_OK
                                    : failCublas("The cuBLASLt bf16 GEMM failed", s);
}

}  // namespace
}  // namespace flint::cuda

using namespace flint::cuda;

FLINT_CUDA_EXPORT int flint_cuda_linear_gemm(FlintCudaContext* ctx, const FlintCudaWeight* w,
                                             const float* x, FlintCudaSize tokens, float* y,
                                             FlintCudaStream* stream) {
  if (const int s = useDevice(ctx)) return s;
  if (tokens == 0) return FLINT_CUDA_OK;
  if (const int s = checkWeight(w, x, y)) return s;
  const unsigned long long ld = (w->cols + kLdAlign - 1) / kLdAlign * kLdAlign;
  // Tiles of whole 128-row blocks (at least one), small enough for the scratch budget.
  unsigned long long tileRows = kTileBytes / (ld * 2) / kFp8Block * kFp8Block;
  if (tileRows < kFp8Block) tileRows = kFp8Block;
  if (tileRows > w->rows) tileRows = w->rows;

  GemmResources g;
  g.stream = rawStream(stream);
  if (const int s = allocate(&g.xb, tokens * ld * 2, g.stream,
                             "CUDA could not allocate the bf16 activations of a GEMM"))
    return s;
  if (const int s = allocate(&g.tile, tileRows * ld * 2, g.stream,
                             "CUDA could not allocate the weight tile of a GEMM"))
    return s;
  if (const int s = allocate(&g.workspace, kWorkspaceBytes, g.stream,
                             "CUDA could not allocate the cuBLASLt workspace"))
    return s;

  cublasStatus_t st = cublasLtMatmulDescCreate(&g.desc, CUBLAS_COMPUTE_32F, CUDA_R_32F);
  const cublasOperation_t transA = CUBLAS_OP_T, transB = CUBLAS_OP_N;
  if (st == CUBLAS_STATUS_SUCCESS)
    st = cublasLtMatmulDescSetAttribute(g.desc, CUBLASLT_MATMUL_DESC_TRANSA, &transA,
                                        sizeof(transA));
  if (st == CUBLAS_STATUS_SUCCESS)
    st = cublasLtMatmulDescSetAttribute(g.desc, CUBLASLT_MATMUL_DESC_TRANSB, &transB,
                                        sizeof(transB));
  if (st == CUBLAS_STATUS_SUCCESS) st = cublasLtMatmulPreferenceCreate(&g.preference);
  const unsigned long long workspaceBytes = kWorkspaceBytes;
  if (st == CUBLAS_STATUS_SUCCESS)
    st =
        cublasLtMatmulPreferenceSetAttribute(g.preference, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                                             &workspaceBytes, sizeof(workspaceBytes));
  if (st != CUBLAS_STATUS_SUCCESS) return failCublas("cuBLASLt could not describe a GEMM", st);

  toBf16Kernel<<<gridStrideBlocks(tokens * w->cols), 256, 0, g.stream>>>(
      x, tokens, w->cols, ld, static_cast<__nv_bfloat16*>(g.xb));
  if (const int s = checkLaunch("toBf16")) return s;
  for (unsigned long long r0 = 0; r0 < w->rows; r0 += tileRows) {
    const unsigned long long m = w->rows - r0 < tileRows ? w->rows - r0 : tileRows;
    // Stream order keeps this tile's dequantization behind the previous tile's GEMM.
    dequantTileKernel<<<gridStrideBlocks(m * w->cols), 256, 0, g.stream>>>(
        *w, r0, m, ld, static_cast<__nv_bfloat16*>(g.tile));
    if (const int s = checkLaunch("dequantTile")) return s;
    if (const int s = multiplyTile(ctx, g, *w, m, tokens, ld, y + r0)) return s;
  }
  return FLINT_CUDA_OK;
}
