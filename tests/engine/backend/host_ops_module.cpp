// A host emulation of the CUDA module (kernels/cuda/abi.h, ops_abi.h) for testing the GPU
// forward pass without a GPU: device memory is host memory, streams are tokens, and every op
// runs at once on the CPU doing the CPU forward pass's float operations in its order, so a
// composition of ops is bit-identical to the CPU Transformer. This file: the probe, errors,
// contexts, memory, copies, streams and graphs. The device's size is FLINT_HOST_OPS_DEVICE_BYTES (a
// plain byte count), 8 GiB without it; allocations beyond it fail as a real device's do.
#include "tests/engine/backend/host_ops_module.h"

#include <cerrno>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <map>
#include <new>
#include <set>
#include <string>

namespace flint::host_ops {
namespace {

thread_local char lastError[512] = "";

constexpr unsigned long long kDefaultDeviceBytes = 8ull << 30;
constexpr std::size_t kAlignment = 256;  // cudaMalloc's guarantee

struct Allocation {
  unsigned long long bytes = 0;
  bool pinned = false;  // from host_alloc: readable by ops, as mapped pinned memory is
};

// Every live allocation by address, the device bytes they hold, and the live streams.
struct Registry {
  std::mutex mutex;
  std::map<std::uintptr_t, Allocation> allocations;
  unsigned long long deviceBytes = 0;
  std::set<const FlintCudaStream*> streams;
  unsigned long long nextStreamId = 1;
};

Registry& registry() {
  static Registry instance;
  return instance;
}

// The device's size; sets `why` when FLINT_HOST_OPS_DEVICE_BYTES is set but no byte count.
unsigned long long deviceCapacity(std::string& why) {
  const char* text = std::getenv("FLINT_HOST_OPS_DEVICE_BYTES");
  if (!text || !*text) return kDefaultDeviceBytes;
  char* end = nullptr;
  errno = 0;
  const unsigned long long bytes = std::strtoull(text, &end, 10);
  if (text[0] < '0' || text[0] > '9' || *end != '\0' || errno == ERANGE)
    why =
        std::string("FLINT_HOST_OPS_DEVICE_BYTES must be a plain byte count, not \"") + text + "\"";
  return bytes;
}

std::string formatBytes(unsigned long long bytes) {
  char text[64];
  if (bytes < (1ull << 20))
    std::snprintf(text, sizeof(text), "%llu bytes", bytes);
  else
    std::snprintf(text, sizeof(text), "%.1f MiB", double(bytes) / double(1ull << 20));
  return text;
}

// Allocates and registers with r.mutex held. Fresh memory reads as NaN (all bits set), so an op
// that reads what nothing wrote shows up in a parity test instead of passing on zeroed pages.
void* allocateLocked(Registry& r, unsigned long long bytes, bool pinned) {
  const std::size_t rounded =
      (std::size_t(bytes ? bytes : 1) + kAlignment - 1) / kAlignment * kAlignment;
  void* p = std::aligned_alloc(kAlignment, rounded);
  if (!p) return nullptr;
  std::memset(p, 0xff, rounded);
  r.allocations[std::uintptr_t(p)] = {bytes, pinned};
  if (!pinned) r.deviceBytes += bytes;
  return p;
}

// Frees p when it is a live allocation of the given kind; false otherwise.
bool release(void* p, bool pinned) {
  Registry& r = registry();
  {
    std::lock_guard lock(r.mutex);
    const auto it = r.allocations.find(std::uintptr_t(p));
    if (it == r.allocations.end() || it->second.pinned != pinned) return false;
    if (!pinned) r.deviceBytes -= it->second.bytes;
    r.allocations.erase(it);
  }
  std::free(p);
  return true;
}

// FLINT_CUDA_OK unless a stream of ctx is being captured: then `call`, which would wait for or
// disturb work that is only being recorded, fails as CUDA's stream capture refuses it.
int needNoCapture(FlintCudaContext* ctx, const char* call) {
  if (!ctx) return FLINT_CUDA_OK;  // needContext refuses it
  std::lock_guard lock(ctx->captureMutex);
  if (!ctx->capturing) return FLINT_CUDA_OK;
  return fail("%s cannot be called while a stream is being captured.", call);
}

int copy(FlintCudaContext* ctx, void* dst, const void* src, FlintCudaSize bytes, bool toDevice,
         FlintCudaStream* stream, const char* op) {
  if (const int s = needContext(ctx, stream)) return s;
  if (bytes == 0) return FLINT_CUDA_OK;
  if (const int s = toDevice ? needMemory(op, "the destination", dst, bytes)
                             : needMemory(op, "the source", src, bytes))
    return s;
  if (!dst || !src) return fail("The CUDA op %s was called with a null host pointer.", op);
  std::memcpy(dst, src, bytes);
  return FLINT_CUDA_OK;
}

}  // namespace

int fail(const char* format, ...) {
  va_list args;
  va_start(args, format);
  std::vsnprintf(lastError, sizeof(lastError), format, args);
  va_end(args);
  return FLINT_CUDA_ERROR;
}

int needContext(const FlintCudaContext* ctx, const FlintCudaStream* stream) {
  if (!ctx) return fail("A CUDA op was called without a CUDA context.");
  if (!stream) return FLINT_CUDA_OK;
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  if (r.streams.count(stream)) return FLINT_CUDA_OK;
  return fail("A CUDA op was given a stream that does not exist (was it destroyed?).");
}

unsigned long long bytesFrom(const void* p) {
  const auto address = std::uintptr_t(p);
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  auto it = r.allocations.upper_bound(address);
  if (it == r.allocations.begin()) return 0;
  --it;
  const std::uintptr_t end = it->first + it->second.bytes;
  return address < end ? end - address : 0;
}

int needMemory(const char* op, const char* what, const void* p, unsigned long long bytes) {
  if (bytes == 0) return FLINT_CUDA_OK;
  if (!p) return fail("The CUDA op %s was called with a null pointer for %s.", op, what);
  const unsigned long long available = bytesFrom(p);
  if (available >= bytes) return FLINT_CUDA_OK;
  if (available == 0)
    return fail("The CUDA op %s was given %s at %p, which is not device memory.", op, what, p);
  return fail("The CUDA op %s needs %llu bytes of %s, but its allocation holds %llu from there.",
              op, bytes, what, available);
}

}  // namespace flint::host_ops

using namespace flint::host_ops;

// ---- version and probe -------------------------------------------------------------------

FLINT_HOST_OPS_EXPORT int flint_cuda_abi_version(void) {
  return FLINT_CUDA_ABI_VERSION;
}

FLINT_HOST_OPS_EXPORT void flint_cuda_probe(FlintCudaProbe* out) {
  if (!out) return;
  std::memset(out, 0, sizeof(*out));
  out->driverVersion = 13000;
  out->runtimeVersion = 13000;
  std::string why;
  const unsigned long long capacity = deviceCapacity(why);
  if (!why.empty()) {
    out->status = FLINT_CUDA_ERROR;
    std::snprintf(out->message, sizeof(out->message), "%s", why.c_str());
    return;
  }
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  out->status = FLINT_CUDA_OK;
  out->deviceCount = 1;
  FlintCudaDevice& d = out->devices[0];
  std::snprintf(d.name, sizeof(d.name), "Host emulation of the CUDA ops");
  d.computeMajor = 9;
  d.computeMinor = 0;
  d.multiprocessors = 4;
  d.totalBytes = capacity;
  d.freeBytes = capacity > r.deviceBytes ? capacity - r.deviceBytes : 0;
}

// ---- errors and contexts -----------------------------------------------------------------

FLINT_HOST_OPS_EXPORT const char* flint_cuda_last_error(void) {
  return lastError[0] ? lastError : "No CUDA call has failed on this thread.";
}

FLINT_HOST_OPS_EXPORT int flint_cuda_context_create(int ordinal, FlintCudaContext** out) {
  if (!out) return fail("flint_cuda_context_create was called without a place for the context.");
  *out = nullptr;
  if (ordinal != 0)
    return fail("CUDA could not open device %d (cudaErrorInvalidDevice: invalid device ordinal).",
                ordinal);
  try {
    auto* ctx = new FlintCudaContext;
    ctx->ordinal = ordinal;
    *out = ctx;
  } catch (const std::exception& e) {
    return fail("The host emulation could not create a CUDA context (%s).", e.what());
  }
  return FLINT_CUDA_OK;
}

FLINT_HOST_OPS_EXPORT void flint_cuda_context_destroy(FlintCudaContext* ctx) {
  delete ctx;
}

// ---- memory ------------------------------------------------------------------------------

FLINT_HOST_OPS_EXPORT int flint_cuda_malloc(FlintCudaContext* ctx, FlintCudaSize bytes,
                                            void** out) {
  if (!out) return fail("flint_cuda_malloc was called without a place for the pointer.");
  *out = nullptr;
  if (const int s = needContext(ctx)) return s;
  if (const int s = needNoCapture(ctx, "flint_cuda_malloc")) return s;
  std::string why;
  const unsigned long long capacity = deviceCapacity(why);
  if (!why.empty()) return fail("%s.", why.c_str());
  Registry& r = registry();
  std::lock_guard lock(
      r.mutex);  // held while allocating, so concurrent callers see each other's bytes
  const unsigned long long freeBytes = capacity > r.deviceBytes ? capacity - r.deviceBytes : 0;
  if (bytes > freeBytes)
    return fail(
        "CUDA could not allocate %s on device %d: the device has %s free, %s asked "
        "(cudaErrorMemoryAllocation: out of memory).",
        formatBytes(bytes).c_str(), ctx->ordinal, formatBytes(freeBytes).c_str(),
        formatBytes(bytes).c_str());
  *out = allocateLocked(r, bytes, false);
  if (!*out)
    return fail("The host emulation could not find %s of host memory for device memory.",
                formatBytes(bytes).c_str());
  return FLINT_CUDA_OK;
}

FLINT_HOST_OPS_EXPORT int flint_cuda_free(FlintCudaContext* ctx, void* ptr) {
  if (!ptr) return FLINT_CUDA_OK;
  if (const int s = needContext(ctx)) return s;
  if (const int s = needNoCapture(ctx, "flint_cuda_free")) return s;
  if (release(ptr, false)) return FLINT_CUDA_OK;
  return fail("CUDA could not free device memory: %p is not a live device allocation.", ptr);
}

FLINT_HOST_OPS_EXPORT int flint_cuda_host_alloc(FlintCudaContext* ctx, FlintCudaSize bytes,
                                                void** out) {
  if (!out) return fail("flint_cuda_host_alloc was called without a place for the pointer.");
  *out = nullptr;
  if (const int s = needContext(ctx)) return s;
  if (const int s = needNoCapture(ctx, "flint_cuda_host_alloc")) return s;
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  *out = allocateLocked(r, bytes, true);
  if (!*out)
    return fail("CUDA could not pin %s of host memory (cudaErrorMemoryAllocation: out of memory).",
                formatBytes(bytes).c_str());
  return FLINT_CUDA_OK;
}

FLINT_HOST_OPS_EXPORT int flint_cuda_host_free(FlintCudaContext* ctx, void* ptr) {
  if (!ptr) return FLINT_CUDA_OK;
  if (const int s = needContext(ctx)) return s;
  if (const int s = needNoCapture(ctx, "flint_cuda_host_free")) return s;
  if (release(ptr, true)) return FLINT_CUDA_OK;
  return fail("CUDA could not free pinned memory: %p is not a live pinned allocation.", ptr);
}

// ---- copies ------------------------------------------------------------------------------

FLINT_HOST_OPS_EXPORT int flint_cuda_copy_to_device(FlintCudaContext* ctx, void* dst,
                                                    const void* src, FlintCudaSize bytes) {
  if (const int s = needNoCapture(ctx, "flint_cuda_copy_to_device")) return s;
  return copy(ctx, dst, src, bytes, true, nullptr, "copyToDevice");
}

FLINT_HOST_OPS_EXPORT int flint_cuda_copy_to_host(FlintCudaContext* ctx, void* dst, const void* src,
                                                  FlintCudaSize bytes) {
  if (const int s = needNoCapture(ctx, "flint_cuda_copy_to_host")) return s;
  return copy(ctx, dst, src, bytes, false, nullptr, "copyToHost");
}

FLINT_HOST_OPS_EXPORT int flint_cuda_copy_to_device_async(FlintCudaContext* ctx, void* dst,
                                                          const void* src, FlintCudaSize bytes,
                                                          FlintCudaStream* stream) {
  FLINT_HOST_OPS_RECORD(flint_cuda_copy_to_device_async, ctx, dst, src, bytes, stream);
  return copy(ctx, dst, src, bytes, true, stream, "copyToDeviceAsync");
}

FLINT_HOST_OPS_EXPORT int flint_cuda_copy_to_host_async(FlintCudaContext* ctx, void* dst,
                                                        const void* src, FlintCudaSize bytes,
                                                        FlintCudaStream* stream) {
  FLINT_HOST_OPS_RECORD(flint_cuda_copy_to_host_async, ctx, dst, src, bytes, stream);
  return copy(ctx, dst, src, bytes, false, stream, "copyToHostAsync");
}

FLINT_HOST_OPS_EXPORT int flint_cuda_memset(FlintCudaContext* ctx, void* dst, int value,
                                            FlintCudaSize bytes) {
  if (const int s = needContext(ctx)) return s;
  if (const int s = needNoCapture(ctx, "flint_cuda_memset")) return s;
  if (const int s = needMemory("memset", "the destination", dst, bytes)) return s;
  if (bytes) std::memset(dst, value, bytes);
  return FLINT_CUDA_OK;
}

// ---- streams: every op has finished when it returns, so there is nothing to wait for -----
// (while a stream captures, waiting would be for ops that have not run: refused)

FLINT_HOST_OPS_EXPORT int flint_cuda_stream_create(FlintCudaContext* ctx, FlintCudaStream** out) {
  if (!out) return fail("flint_cuda_stream_create was called without a place for the stream.");
  *out = nullptr;
  if (const int s = needContext(ctx)) return s;
  auto* stream = new (std::nothrow) FlintCudaStream;
  if (!stream) return fail("There was not enough host memory for a CUDA stream.");
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  stream->id = r.nextStreamId++;
  r.streams.insert(stream);
  *out = stream;
  return FLINT_CUDA_OK;
}

FLINT_HOST_OPS_EXPORT int flint_cuda_stream_synchronize(FlintCudaContext* ctx,
                                                        FlintCudaStream* stream) {
  if (const int s = needNoCapture(ctx, "flint_cuda_stream_synchronize")) return s;
  return needContext(ctx, stream);
}

FLINT_HOST_OPS_EXPORT int flint_cuda_stream_query(FlintCudaContext* ctx, FlintCudaStream* stream,
                                                  int* done) {
  if (!done) return fail("flint_cuda_stream_query was called without a place for the answer.");
  *done = 0;
  if (const int s = needNoCapture(ctx, "flint_cuda_stream_query")) return s;
  *done = 1;
  return needContext(ctx, stream);
}

FLINT_HOST_OPS_EXPORT int flint_cuda_stream_destroy(FlintCudaContext* ctx,
                                                    FlintCudaStream* stream) {
  if (!stream) return fail("flint_cuda_stream_destroy was given no stream.");
  if (const int s = needContext(ctx, stream)) return s;
  {
    std::lock_guard lock(ctx->captureMutex);
    if (ctx->capturing == stream)
      return fail("flint_cuda_stream_destroy was given the stream that is being captured.");
  }
  {
    Registry& r = registry();
    std::lock_guard lock(r.mutex);
    r.streams.erase(stream);
  }
  delete stream;
  return FLINT_CUDA_OK;
}

// ---- graphs: the ops a stream recorded, re-run in order ----------------------------------

FLINT_HOST_OPS_EXPORT int flint_cuda_graph_begin(FlintCudaContext* ctx, FlintCudaStream* stream) {
  if (!stream) return fail("flint_cuda_graph_begin cannot capture the default stream.");
  if (const int s = needContext(ctx, stream)) return s;
  std::lock_guard lock(ctx->captureMutex);
  if (ctx->capturing)
    return fail("flint_cuda_graph_begin was called while a stream is being captured.");
  ctx->capturing = stream;
  ctx->recorded.clear();
  return FLINT_CUDA_OK;
}

FLINT_HOST_OPS_EXPORT int flint_cuda_graph_end(FlintCudaContext* ctx, FlintCudaStream* stream,
                                               FlintCudaGraph** out) {
  if (!out) return fail("flint_cuda_graph_end was called without a place for the graph.");
  *out = nullptr;
  if (const int s = needContext(ctx, stream)) return s;
  auto* graph = new (std::nothrow) FlintCudaGraph;
  if (!graph) return fail("There was not enough host memory for a CUDA graph.");
  std::lock_guard lock(ctx->captureMutex);
  if (!stream || ctx->capturing != stream) {
    delete graph;
    return fail("flint_cuda_graph_end was given a stream that is not being captured.");
  }
  graph->ops = std::move(ctx->recorded);
  ctx->recorded.clear();
  ctx->capturing = nullptr;
  *out = graph;
  return FLINT_CUDA_OK;
}

// Stops at the first op that fails; its sentence stays the last error.
FLINT_HOST_OPS_EXPORT int flint_cuda_graph_launch(FlintCudaContext* ctx, FlintCudaGraph* graph,
                                                  FlintCudaStream* stream) {
  if (const int s = needContext(ctx, stream)) return s;
  if (!graph) return fail("flint_cuda_graph_launch was given no graph.");
  if (const int s = needNoCapture(ctx, "flint_cuda_graph_launch")) return s;
  for (const RecordedOp& op : graph->ops)
    if (const int s = op(ctx, stream)) return s;
  return FLINT_CUDA_OK;
}

FLINT_HOST_OPS_EXPORT int flint_cuda_graph_destroy(FlintCudaContext* ctx, FlintCudaGraph* graph) {
  if (const int s = needContext(ctx)) return s;
  delete graph;
  return FLINT_CUDA_OK;
}
