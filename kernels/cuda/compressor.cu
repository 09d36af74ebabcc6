// engine/model/compressor.cpp's pushCompressorToken over a run of positions at once, without
// the norm and rotation (the caller applies those to the new entries): every window that ends
// in the run becomes one entry, then the rings take the run's last 2 * ratio rows. A captured
// decode step reads the run's start from device memory and may stage its entries, which
// flint_cuda_commit_entries later moves to their rows.
#include "kernels/cuda/ops_common.cuh"

namespace flint::cuda {
namespace {

constexpr unsigned kThreads = 256;

// The entries a run over positions start..start+tokens-1 completes: the windows that end in it,
// first .. first + count - 1.
struct EntryRange {
  unsigned long long first, count;
};

__host__ __device__ inline EntryRange completedEntries(long long start, unsigned long long tokens,
                                                       unsigned long long ratio) {
  const unsigned long long s = static_cast<unsigned long long>(start);
  return {s / ratio, (s + tokens) / ratio - s / ratio};
}

// The most entries a run of `tokens` positions completes wherever it starts: what a grid sized
// before the start is known must cover.
unsigned long long mostEntries(unsigned long long tokens, unsigned long long ratio) {
  return tokens / ratio + 1;
}

// Position p's (gate, kv) in channel `col`: from this call's arrays (the gate plus ape, as
// the CPU stores it in the ring) when p >= start, else from the ring slot p mod 2 * ratio.
struct CompressorRow {
  float gate, kv;
};

__device__ inline CompressorRow rowAt(const FlintCudaCompressor& c, long long start, long long p,
                                      unsigned long long col) {
  const unsigned long long pos = static_cast<unsigned long long>(p);
  if (p >= start) {
    const unsigned long long i = (pos - static_cast<unsigned long long>(start)) * c.channels + col;
    return {__fadd_rn(c.gate[i], c.ape[(pos % c.ratio) * c.channels + col]), c.kv[i]};
  }
  const unsigned long long i = (pos % (2 * c.ratio)) * c.channels + col;
  return {c.ringGate[i], c.ringKv[i]};
}

// One thread per (entry, channel) of the entries the run completes; the grid may be larger
// (sized before the start was known) and the rest of it exits. The rows in the CPU's order: the
// previous window's first halves (with overlap, e > 0), then this window's (second halves with
// overlap); max gate first, then the exponentials and sums in double, as the CPU does, so only
// exp's last bit can differ.
__global__ void compressEntriesKernel(FlintCudaCompressor c) {
  const long long start = runStart(c.start, c.startOnDevice);
  if (start < 0) return;
  const EntryRange run = completedEntries(start, c.tokens, c.ratio);
  const unsigned long long m = c.ratio, width = c.width;
  const bool overlap = c.channels == 2 * width;
  for (unsigned long long i = blockIdx.x * 1ull * blockDim.x + threadIdx.x; i < run.count * width;
       i += 1ull * blockDim.x * gridDim.x) {
    const unsigned long long k = i / width, e = run.first + k, ch = i % width;
    const long long first = static_cast<long long>(e * m);
    const bool hasPrevious = overlap && e > 0;
    const unsigned long long half = overlap ? width : 0;
    float maxGate = -INFINITY;
    if (hasPrevious)
      for (unsigned long long j = 0; j < m; ++j)
        maxGate = fmaxf(maxGate, rowAt(c, start, first - static_cast<long long>(m - j), ch).gate);
    for (unsigned long long j = 0; j < m; ++j)
      maxGate = fmaxf(maxGate, rowAt(c, start, first + static_cast<long long>(j), half + ch).gate);
    double sum = 0, weighted = 0;
    auto accumulate = [&](CompressorRow r) {
      const double w = exp(double(r.gate) - double(maxGate));
      sum += w;
      weighted += w * double(r.kv);
    };
    if (hasPrevious)
      for (unsigned long long j = 0; j < m; ++j)
        accumulate(rowAt(c, start, first - static_cast<long long>(m - j), ch));
    for (unsigned long long j = 0; j < m; ++j)
      accumulate(rowAt(c, start, first + static_cast<long long>(j), half + ch));
    float* out = c.staging ? c.staging + k * width : c.entries + e * width;
    out[ch] = float(weighted / sum);
  }
}

// The run's last `rows` positions into their ring slots, gate with ape added. Launched after
// compressEntriesKernel on the same stream, which still needs the old ring rows.
__global__ void compressRingsKernel(FlintCudaCompressor c, unsigned long long rows) {
  const long long start = runStart(c.start, c.startOnDevice);
  if (start < 0) return;
  const unsigned long long C = c.channels;
  const long long firstPos = start + static_cast<long long>(c.tokens - rows);
  for (unsigned long long i = blockIdx.x * 1ull * blockDim.x + threadIdx.x; i < rows * C;
       i += 1ull * blockDim.x * gridDim.x) {
    const long long p = firstPos + static_cast<long long>(i / C);
    const unsigned long long col = i % C;
    const CompressorRow r = rowAt(c, start, p, col);
    const unsigned long long slot = static_cast<unsigned long long>(p) % (2 * c.ratio);
    c.ringGate[slot * C + col] = r.gate;
    c.ringKv[slot * C + col] = r.kv;
  }
}

// Staging row k to entry row first + k for the entries the run completed.
__global__ void commitEntriesKernel(const float* staging, float* entries, unsigned long long width,
                                    unsigned long long ratio, long long start,
                                    const long long* startOnDevice, unsigned long long tokens) {
  const long long s = runStart(start, startOnDevice);
  if (s < 0) return;
  const EntryRange run = completedEntries(s, tokens, ratio);
  float* out = entries + run.first * width;
  for (unsigned long long i = blockIdx.x * 1ull * blockDim.x + threadIdx.x; i < run.count * width;
       i += 1ull * blockDim.x * gridDim.x)
    out[i] = staging[i];
}

}  // namespace
}  // namespace flint::cuda

using namespace flint::cuda;

FLINT_CUDA_EXPORT int flint_cuda_compress(FlintCudaContext* ctx, const FlintCudaCompressor* c,
                                          FlintCudaStream* stream) {
  if (const int s = useDevice(ctx)) return s;
  if (!c) return fail("The CUDA compressor was called without its arguments.");
  if (c->tokens == 0) return FLINT_CUDA_OK;
  if (!c->kv || !c->gate || !c->ape || !c->ringKv || !c->ringGate || (!c->entries && !c->staging))
    return fail("The CUDA compressor was called with a null pointer.");
  if (c->ratio == 0 || c->width == 0 || (c->channels != c->width && c->channels != 2 * c->width))
    return fail(
        "The CUDA compressor needs a ratio and a width of at least 1 and channels of width or "
        "2 * width, not ratio %llu, width %llu and %llu channels.",
        c->ratio, c->width, c->channels);
  // A start on the device is only known when the op runs: the host cannot check it, and the
  // kernels do nothing when it is negative.
  if (!c->startOnDevice && c->start < 0)
    return fail("The CUDA compressor was given the negative start position %lld.", c->start);
  const unsigned long long entries = c->startOnDevice
                                         ? mostEntries(c->tokens, c->ratio)
                                         : completedEntries(c->start, c->tokens, c->ratio).count;
  if (entries > 0) {
    compressEntriesKernel<<<gridStrideBlocks(entries * c->width), kThreads, 0, rawStream(stream)>>>(
        *c);
    if (const int s = checkLaunch("compressEntries")) return s;
  }
  const unsigned long long ringRows = c->tokens < 2 * c->ratio ? c->tokens : 2 * c->ratio;
  compressRingsKernel<<<gridStrideBlocks(ringRows * c->channels), kThreads, 0, rawStream(stream)>>>(
      *c, ringRows);
  return checkLaunch("compressRings");
}

FLINT_CUDA_EXPORT int flint_cuda_commit_entries(FlintCudaContext* ctx, const float* staging,
                                                float* entries, FlintCudaSize width,
                                                FlintCudaSize ratio, long long start,
                                                const long long* startOnDevice,
                                                FlintCudaSize tokens, FlintCudaStream* stream) {
  if (const int s = useDevice(ctx)) return s;
  if (tokens == 0 || width == 0) return FLINT_CUDA_OK;
  if (!staging || !entries) return fail("The CUDA entry commit was called with a null pointer.");
  if (ratio == 0) return fail("The CUDA entry commit needs a ratio of at least 1.");
  if (!startOnDevice && start < 0)
    return fail("The CUDA entry commit was given the negative start position %lld.", start);
  const unsigned long long count =
      startOnDevice ? mostEntries(tokens, ratio) : completedEntries(start, tokens, ratio).count;
  if (count == 0) return FLINT_CUDA_OK;
  commitEntriesKernel<<<gridStrideBlocks(count * width), kThreads, 0, rawStream(stream)>>>(
      staging, entries, width, ratio, start, startOnDevice, tokens);
  return checkLaunch("commitEntries");
}
