// Errors, contexts, device and pinned memory, copies and streams (ops_abi.h).
#include "kernels/cuda/ops_common.cuh"

#include <cstdarg>
#include <cstdio>
#include <new>

namespace flint::cuda {
namespace {

thread_local char lastError[512] = "";

constexpr double kMiB = 1024.0 * 1024.0;

}  // namespace

int fail(const char* format, ...) {
  va_list args;
  va_start(args, format);
  std::vsnprintf(lastError, sizeof(lastError), format, args);
  va_end(args);
  return FLINT_CUDA_ERROR;
}

int failCuda(const char* what, cudaError_t err) {
  // Clears the runtime's last error too (a failed cudaMalloc leaves one), so the next launch
  // check does not report this failure again as its own.
  cudaGetLastError();
  return fail("%s (%s: %s).", what, cudaGetErrorName(err), cudaGetErrorString(err));
}

int failCublas(const char* what, cublasStatus_t status) {
  return fail("%s (%s: %s).", what, cublasLtGetStatusName(status), cublasLtGetStatusString(status));
}

int useDevice(FlintCudaContext* ctx) {
  if (!ctx) return fail("A CUDA op was called without a CUDA context.");
  const cudaError_t err = cudaSetDevice(ctx->ordinal);
  if (err != cudaSuccess) {
    char what[96];
    std::snprintf(what, sizeof(what), "CUDA could not switch to device %d", ctx->ordinal);
    return failCuda(what, err);
  }
  return FLINT_CUDA_OK;
}

int checkLaunch(const char* kernel) {
  const cudaError_t err = cudaGetLastError();
  if (err == cudaSuccess) return FLINT_CUDA_OK;
  char what[128];
  std::snprintf(what, sizeof(what), "The CUDA kernel %s could not be launched", kernel);
  return failCuda(what, err);
}

}  // namespace flint::cuda

using namespace flint::cuda;

FLINT_CUDA_EXPORT const char* flint_cuda_last_error(void) {
  return lastError[0] ? lastError : "No CUDA call has failed on this thread.";
}

FLINT_CUDA_EXPORT int flint_cuda_context_create(int ordinal, FlintCudaContext** out) {
  *out = nullptr;
  char what[96];
  cudaError_t err = cudaSetDevice(ordinal);
  if (err == cudaSuccess) err = cudaFree(nullptr);  // creates the primary context now
  if (err != cudaSuccess) {
    std::snprintf(what, sizeof(what), "CUDA could not open device %d", ordinal);
    return failCuda(what, err);
  }
  auto* ctx = new (std::nothrow) FlintCudaContext;
  if (!ctx) return fail("There was not enough host memory for a CUDA context.");
  ctx->ordinal = ordinal;
  const cublasStatus_t status = cublasLtCreate(&ctx->lt);
  if (status != CUBLAS_STATUS_SUCCESS) {
    delete ctx;
    std::snprintf(what, sizeof(what), "cuBLASLt could not start on device %d", ordinal);
    return failCublas(what, status);
  }
  *out = ctx;
  return FLINT_CUDA_OK;
}

FLINT_CUDA_EXPORT void flint_cuda_context_destroy(FlintCudaContext* ctx) {
  if (!ctx) return;
  if (useDevice(ctx) == FLINT_CUDA_OK && ctx->lt) cublasLtDestroy(ctx->lt);
  delete ctx;
}

FLINT_CUDA_EXPORT int flint_cuda_malloc(FlintCudaContext* ctx, FlintCudaSize bytes, void** out) {
  *out = nullptr;
  if (const int s = useDevice(ctx)) return s;
  const cudaError_t err = cudaMalloc(out, bytes ? bytes : 1);
  if (err != cudaSuccess) {
    *out = nullptr;
    char what[128];
    std::snprintf(what, sizeof(what), "CUDA could not allocate %.1f MiB on device %d",
                  double(bytes) / kMiB, ctx->ordinal);
    return failCuda(what, err);
  }
  return FLINT_CUDA_OK;
}

FLINT_CUDA_EXPORT int flint_cuda_free(FlintCudaContext* ctx, void* ptr) {
  if (!ptr) return FLINT_CUDA_OK;
  if (const int s = useDevice(ctx)) return s;
  const cudaError_t err = cudaFree(ptr);
  return err == cudaSuccess ? FLINT_CUDA_OK : failCuda("CUDA could not free device memory", err);
}

FLINT_CUDA_EXPORT int flint_cuda_host_alloc(FlintCudaContext* ctx, FlintCudaSize bytes,
                                            void** out) {
  *out = nullptr;
  if (const int s = useDevice(ctx)) return s;
  const cudaError_t err = cudaMallocHost(out, bytes ? bytes : 1);
  if (err != cudaSuccess) {
    *out = nullptr;
    char what[128];
    std::snprintf(what, sizeof(what), "CUDA could not pin %.1f MiB of host memory",
                  double(bytes) / kMiB);
    return failCuda(what, err);
  }
  return FLINT_CUDA_OK;
}

FLINT_CUDA_EXPORT int flint_cuda_host_free(FlintCudaContext* ctx, void* ptr) {
  if (!ptr) return FLINT_CUDA_OK;
  if (const int s = useDevice(ctx)) return s;
  const cudaError_t err = cudaFreeHost(ptr);
  return err == cudaSuccess ? FLINT_CUDA_OK : failCuda("CUDA could not free pinned memory", err);
}

namespace {

int copy(FlintCudaContext* ctx, void* dst, const void* src, FlintCudaSize bytes,
         cudaMemcpyKind kind, const char* what) {
  if (const int s = useDevice(ctx)) return s;
  if (bytes == 0) return FLINT_CUDA_OK;
  const cudaError_t err = cudaMemcpy(dst, src, bytes, kind);
  return err == cudaSuccess ? FLINT_CUDA_OK : failCuda(what, err);
}

int copyAsync(FlintCudaContext* ctx, void* dst, const void* src, FlintCudaSize bytes,
              cudaMemcpyKind kind, FlintCudaStream* stream, const char* what) {
  if (const int s = useDevice(ctx)) return s;
  if (bytes == 0) return FLINT_CUDA_OK;
  const cudaError_t err = cudaMemcpyAsync(dst, src, bytes, kind, rawStream(stream));
  return err == cudaSuccess ? FLINT_CUDA_OK : failCuda(what, err);
}

}  // namespace

FLINT_CUDA_EXPORT int flint_cuda_copy_to_device(FlintCudaContext* ctx, void* dst, const void* src,
                                                FlintCudaSize bytes) {
  return copy(ctx, dst, src, bytes, cudaMemcpyHostToDevice,
              "CUDA could not copy data to the device");
}

FLINT_CUDA_EXPORT int flint_cuda_copy_to_host(FlintCudaContext* ctx, void* dst, const void* src,
                                              FlintCudaSize bytes) {
  // A kernel fault from earlier work on the stream surfaces here, so the sentence says so.
  return copy(ctx, dst, src, bytes, cudaMemcpyDeviceToHost,
              "CUDA could not copy data back from the device (or an earlier op on it failed)");
}

FLINT_CUDA_EXPORT int flint_cuda_copy_to_device_async(FlintCudaContext* ctx, void* dst,
                                                      const void* src, FlintCudaSize bytes,
                                                      FlintCudaStream* stream) {
  return copyAsync(ctx, dst, src, bytes, cudaMemcpyHostToDevice, stream,
                   "CUDA could not queue a copy to the device");
}

FLINT_CUDA_EXPORT int flint_cuda_copy_to_host_async(FlintCudaContext* ctx, void* dst,
                                                    const void* src, FlintCudaSize bytes,
                                                    FlintCudaStream* stream) {
  return copyAsync(ctx, dst, src, bytes, cudaMemcpyDeviceToHost, stream,
                   "CUDA could not queue a copy back from the device");
}

FLINT_CUDA_EXPORT int flint_cuda_memset(FlintCudaContext* ctx, void* dst, int value,
                                        FlintCudaSize bytes) {
  if (const int s = useDevice(ctx)) return s;
  const cudaError_t err = cudaMemset(dst, value, bytes);
  return err == cudaSuccess ? FLINT_CUDA_OK : failCuda("CUDA could not fill device memory", err);
}

FLINT_CUDA_EXPORT int flint_cuda_stream_create(FlintCudaContext* ctx, FlintCudaStream** out) {
  *out = nullptr;
  if (const int s = useDevice(ctx)) return s;
  cudaStream_t stream = nullptr;
  // Non-blocking: a copy stream's transfers overlap the compute on the default stream.
  const cudaError_t err = cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking);
  if (err != cudaSuccess) return failCuda("CUDA could not create a stream", err);
  *out = reinterpret_cast<FlintCudaStream*>(stream);
  return FLINT_CUDA_OK;
}

FLINT_CUDA_EXPORT int flint_cuda_stream_query(FlintCudaContext* ctx, FlintCudaStream* stream,
                                              int* done) {
  if (!done) return fail("flint_cuda_stream_query was called without a place for the answer.");
  *done = 0;
  if (const int s = useDevice(ctx)) return s;
  const cudaError_t err = cudaStreamQuery(rawStream(stream));
  if (err == cudaErrorNotReady) return FLINT_CUDA_OK;
  if (err != cudaSuccess) return failCuda("An op queued on a CUDA stream failed", err);
  *done = 1;
  return FLINT_CUDA_OK;
}

FLINT_CUDA_EXPORT int flint_cuda_stream_synchronize(FlintCudaContext* ctx,
                                                    FlintCudaStream* stream) {
  if (const int s = useDevice(ctx)) return s;
  const cudaError_t err = cudaStreamSynchronize(rawStream(stream));
  return err == cudaSuccess ? FLINT_CUDA_OK : failCuda("An op queued on a CUDA stream failed", err);
}

FLINT_CUDA_EXPORT int flint_cuda_stream_destroy(FlintCudaContext* ctx, FlintCudaStream* stream) {
  if (!stream) return FLINT_CUDA_OK;
  if (const int s = useDevice(ctx)) return s;
  const cudaError_t err = cudaStreamDestroy(rawStream(stream));
  return err == cudaSuccess ? FLINT_CUDA_OK : failCuda("CUDA could not destroy a stream", err);
}
