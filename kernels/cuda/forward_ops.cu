// The forward pass's small ops (ABI 3): the embedding lookup, e2m1 fake quantization, scaling,
// residual adds, strided copies, row gathers and scatters, and the window ring's update. All but
// the copies are elementwise and grid-stride; each output is the CPU's one operation, so equal
// bit for bit.
#include "kernels/cuda/fake_quant.cuh"
#include "kernels/cuda/ops_common.cuh"

namespace flint::cuda {
namespace {

constexpr unsigned kThreads = 256;

// out [tokens, streams, hidden]: a bf16 widens to fp32 by shifting its bits into the top half.
__global__ void embedKernel(const unsigned short* embed, const int* ids, unsigned long long count,
                            unsigned long long hidden, unsigned long long streams, float* out) {
  for (unsigned long long i = blockIdx.x * 1ull * blockDim.x + threadIdx.x; i < count;
       i += 1ull * blockDim.x * gridDim.x) {
    const unsigned long long t = i / (streams * hidden), d = i % hidden;
    const unsigned long long row = static_cast<unsigned long long>(ids[t]);
    out[i] = __uint_as_float(unsigned(embed[row * hidden + d]) << 16);
  }
}

__global__ void scaleKernel(float* x, unsigned long long n, float factor) {
  for (unsigned long long i = blockIdx.x * 1ull * blockDim.x + threadIdx.x; i < n;
       i += 1ull * blockDim.x * gridDim.x)
    x[i] = __fmul_rn(x[i], factor);
}

__global__ void addKernel(float* y, const float* x, unsigned long long n) {
  for (unsigned long long i = blockIdx.x * 1ull * blockDim.x + threadIdx.x; i < n;
       i += 1ull * blockDim.x * gridDim.x)
    y[i] = __fadd_rn(y[i], x[i]);
}

// Over count * width outputs: row i / width of dst from row rows[i / width] of src.
__global__ void gatherRowsKernel(const float* src, const int* rows, unsigned long long total,
                                 unsigned long long width, float* dst) {
  for (unsigned long long i = blockIdx.x * 1ull * blockDim.x + threadIdx.x; i < total;
       i += 1ull * blockDim.x * gridDim.x) {
    const unsigned long long row = static_cast<unsigned long long>(rows[i / width]);
    dst[i] = src[row * width + i % width];
  }
}

// The rows are distinct, so every element of dst gets at most one add: no races, and the
// order of i does not matter.
__global__ void scatterAddRowsKernel(float* dst, const int* rows, unsigned long long total,
                                     unsigned long long width, const float* src) {
  for (unsigned long long i = blockIdx.x * 1ull * blockDim.x + threadIdx.x; i < total;
       i += 1ull * blockDim.x * gridDim.x) {
    float* d = dst + static_cast<unsigned long long>(rows[i / width]) * width + i % width;
    *d = __fadd_rn(*d, src[i]);
  }
}

// The run's last `keep` rows (keep <= ringRows) to ring rows position mod ringRows, one thread
// per value; consecutive positions, so no two rows share a ring row. The start may come from
// the device (a captured step); a negative one does nothing.
__global__ void ringUpdateKernel(float* ring, unsigned long long ringRows, unsigned long long width,
                                 const float* rows, unsigned long long tokens,
                                 unsigned long long keep, long long start,
                                 const long long* startOnDevice) {
  const long long s = runStart(start, startOnDevice);
  if (s < 0) return;
  for (unsigned long long i = blockIdx.x * 1ull * blockDim.x + threadIdx.x; i < keep * width;
       i += 1ull * blockDim.x * gridDim.x) {
    const unsigned long long row = tokens - keep + i / width, col = i % width;
    const unsigned long long slot = (static_cast<unsigned long long>(s) + row) % ringRows;
    ring[slot * width + col] = rows[row * width + col];
  }
}

}  // namespace
}  // namespace flint::cuda

using namespace flint::cuda;

FLINT_CUDA_EXPORT int flint_cuda_embed(FlintCudaContext* ctx, const unsigned short* embed,
                                       const int* ids, FlintCudaSize tokens, FlintCudaSize hidden,
                                       FlintCudaSize streams, float* out, FlintCudaStream* stream) {
  if (const int s = useDevice(ctx)) return s;
  if (tokens == 0 || hidden == 0 || streams == 0) return FLINT_CUDA_OK;
  if (!embed || !ids || !out) return fail("The CUDA embedding was called with a null pointer.");
  const unsigned long long count = tokens * streams * hidden;
  embedKernel<<<gridStrideBlocks(count), kThreads, 0, rawStream(stream)>>>(embed, ids, count,
                                                                           hidden, streams, out);
  return checkLaunch("embed");
}

FLINT_CUDA_EXPORT int flint_cuda_fake_quant_e2m1(FlintCudaContext* ctx, float* x,
                                                 FlintCudaSize rows, FlintCudaSize n,
                                                 FlintCudaSize block, FlintCudaStream* stream) {
  return launchFakeQuant<E2m1Format>(ctx, x, rows, n, block, stream);
}

FLINT_CUDA_EXPORT int flint_cuda_scale(FlintCudaContext* ctx, float* x, FlintCudaSize n,
                                       float factor, FlintCudaStream* stream) {
  if (const int s = useDevice(ctx)) return s;
  if (n == 0) return FLINT_CUDA_OK;
  if (!x) return fail("The CUDA op scale was called with a null pointer.");
  scaleKernel<<<gridStrideBlocks(n), kThreads, 0, rawStream(stream)>>>(x, n, factor);
  return checkLaunch("scale");
}

FLINT_CUDA_EXPORT int flint_cuda_add(FlintCudaContext* ctx, float* y, const float* x,
                                     FlintCudaSize n, FlintCudaStream* stream) {
  if (const int s = useDevice(ctx)) return s;
  if (n == 0) return FLINT_CUDA_OK;
  if (!y || !x) return fail("The CUDA op add was called with a null pointer.");
  addKernel<<<gridStrideBlocks(n), kThreads, 0, rawStream(stream)>>>(y, x, n);
  return checkLaunch("add");
}

FLINT_CUDA_EXPORT int flint_cuda_copy_2d(FlintCudaContext* ctx, void* dst, FlintCudaSize dstPitch,
                                         const void* src, FlintCudaSize srcPitch,
                                         FlintCudaSize widthBytes, FlintCudaSize rows,
                                         FlintCudaStream* stream) {
  if (const int s = useDevice(ctx)) return s;
  if (rows == 0 || widthBytes == 0) return FLINT_CUDA_OK;
  if (!dst || !src) return fail("The CUDA 2D copy was called with a null pointer.");
  if (widthBytes > dstPitch || widthBytes > srcPitch)
    return fail(
        "The CUDA 2D copy was given rows of %llu bytes, wider than its pitches (%llu to %llu).",
        widthBytes, srcPitch, dstPitch);
  const cudaError_t err = cudaMemcpy2DAsync(dst, dstPitch, src, srcPitch, widthBytes, rows,
                                            cudaMemcpyDeviceToDevice, rawStream(stream));
  if (err != cudaSuccess) return failCuda("CUDA could not copy rows on the device", err);
  return FLINT_CUDA_OK;
}

FLINT_CUDA_EXPORT int flint_cuda_gather_rows(FlintCudaContext* ctx, const float* src,
                                             const int* rows, FlintCudaSize count,
                                             FlintCudaSize width, float* dst,
                                             FlintCudaStream* stream) {
  if (const int s = useDevice(ctx)) return s;
  if (count == 0 || width == 0) return FLINT_CUDA_OK;
  if (!src || !rows || !dst) return fail("The CUDA row gather was called with a null pointer.");
  gatherRowsKernel<<<gridStrideBlocks(count * width), kThreads, 0, rawStream(stream)>>>(
      src, rows, count * width, width, dst);
  return checkLaunch("gatherRows");
}

FLINT_CUDA_EXPORT int flint_cuda_scatter_add_rows(FlintCudaContext* ctx, float* dst,
                                                  const int* rows, FlintCudaSize count,
                                                  FlintCudaSize width, const float* src,
                                                  FlintCudaStream* stream) {
  if (const int s = useDevice(ctx)) return s;
  if (count == 0 || width == 0) return FLINT_CUDA_OK;
  if (!dst || !rows || !src)
    return fail("The CUDA row scatter-add was called with a null pointer.");
  scatterAddRowsKernel<<<gridStrideBlocks(count * width), kThreads, 0, rawStream(stream)>>>(
      dst, rows, count * width, width, src);
  return checkLaunch("scatterAddRows");
}

FLINT_CUDA_EXPORT int flint_cuda_ring_update(FlintCudaContext* ctx, float* ring,
                                             FlintCudaSize ringRows, FlintCudaSize width,
                                             const float* rows, FlintCudaSize tokens,
                                             long long start, const long long* startOnDevice,
                                             FlintCudaStream* stream) {
  if (const int s = useDevice(ctx)) return s;
  if (tokens == 0 || width == 0) return FLINT_CUDA_OK;
  if (!ring || !rows) return fail("The CUDA ring update was called with a null pointer.");
  if (ringRows == 0) return fail("The CUDA ring update was given a ring of 0 rows.");
  if (!startOnDevice && start < 0)
    return fail("The CUDA ring update was given the negative start position %lld.", start);
  const unsigned long long keep = tokens < ringRows ? tokens : ringRows;
  ringUpdateKernel<<<gridStrideBlocks(keep * width), kThreads, 0, rawStream(stream)>>>(
      ring, ringRows, width, rows, tokens, keep, start, startOnDevice);
  return checkLaunch("ringUpdate");
}
