// Top-k of rows (k <= 2048), largest first, ties to the lower index: the CPU topK's order.
// Each element becomes a distinct 64-bit key, (order-preserving bits of the value) << 32 |
// ~index, so "larger key" is exactly the CPU's order. One block per row then finds the k-th
// largest key by radix select (8 passes of 8 bits with a 256-bin histogram), gathers the k keys
// at or above it, and sorts them with a bitonic sort in shared memory.
#include "kernels/cuda/ops_common.cuh"

namespace flint::cuda {
namespace {

constexpr unsigned kThreads = 1024;
constexpr unsigned long long kMaxK = 2048;

// Float bits mapped so that unsigned order is float order; -0 counts as +0 (they compare
// equal on the CPU, so the index decides).
__device__ inline unsigned long long orderKey(float v, unsigned index) {
  unsigned b = __float_as_uint(v);
  if (b == 0x80000000u) b = 0;
  b = (b & 0x80000000u) ? ~b : (b | 0x80000000u);
  return (static_cast<unsigned long long>(b) << 32) | static_cast<unsigned>(~index);
}

__global__ void __launch_bounds__(kThreads)
    topKKernel(const float* values, unsigned long long n, unsigned long long k, int* out) {
  __shared__ unsigned histogram[256];
  __shared__ unsigned long long selected[kMaxK];
  __shared__ unsigned long long sharedPrefix;
  __shared__ unsigned sharedRemaining, gathered;
  const float* row = values + blockIdx.x * n;

  // Radix select: after the pass at `shift`, `prefix` holds the top bits of the k-th largest
  // key, and `remaining` how many keys with those bits (counting from the largest) to take.
  unsigned long long prefix = 0, mask = 0;
  unsigned remaining = unsigned(k);
  for (int shift = 56; shift >= 0; shift -= 8) {
    for (unsigned b = threadIdx.x; b < 256; b += blockDim.x) histogram[b] = 0;
    __syncthreads();
    for (unsigned long long i = threadIdx.x; i < n; i += blockDim.x) {
      const unsigned long long key = orderKey(row[i], unsigned(i));
      if ((key & mask) == prefix) atomicAdd(&histogram[(key >> shift) & 0xFF], 1u);
    }
    __syncthreads();
    if (threadIdx.x == 0) {  // the digit, from the top, whose bin holds the remaining-th key
      unsigned above = 0;
      for (int b = 255; b >= 0; --b) {
        if (above + histogram[b] >= remaining) {
          sharedPrefix = prefix | (static_cast<unsigned long long>(b) << shift);
          sharedRemaining = remaining - above;
          break;
        }
        above += histogram[b];
      }
    }
    __syncthreads();
    prefix = sharedPrefix;
    remaining = sharedRemaining;
    mask |= 0xFFull << shift;
  }
  // prefix is now the k-th largest key itself; exactly k keys are >= it. Gather them (in any
  // order) and pad to a power of two with zeros, which no real key equals.
  unsigned padded = 1;
  while (padded < k) padded <<= 1;
  if (threadIdx.x == 0) gathered = 0;
  for (unsigned i = threadIdx.x; i < padded; i += blockDim.x) selected[i] = 0;
  __syncthreads();
  for (unsigned long long i = threadIdx.x; i < n; i += blockDim.x) {
    const unsigned long long key = orderKey(row[i], unsigned(i));
    if (key >= prefix) selected[atomicAdd(&gathered, 1u)] = key;
  }
  __syncthreads();
  // Bitonic sort, descending overall: in the merge of width `size`, element i pairs with
  // i ^ stride and the pair is ordered descending when bit `size` of i is 0.
  for (unsigned size = 2; size <= padded; size <<= 1)
    for (unsigned stride = size / 2; stride > 0; stride >>= 1) {
      for (unsigned i = threadIdx.x; i < padded; i += blockDim.x) {
        const unsigned j = i ^ stride;
        if (j > i) {
          const bool descending = (i & size) == 0;
          const unsigned long long a = selected[i], b = selected[j];
          if ((a < b) == descending) {
            selected[i] = b;
            selected[j] = a;
          }
        }
      }
      __syncthreads();
    }
  for (unsigned i = threadIdx.x; i < k; i += blockDim.x)
    out[blockIdx.x * k + i] = int(~static_cast<unsigned>(selected[i] & 0xFFFFFFFFull));
}

}  // namespace
}  // namespace flint::cuda

using namespace flint::cuda;

FLINT_CUDA_EXPORT int flint_cuda_top_k(FlintCudaContext* ctx, const float* values,
                                       FlintCudaSize rows, FlintCudaSize n, FlintCudaSize k,
                                       int* out, FlintCudaStream* stream) {
  if (const int s = useDevice(ctx)) return s;
  if (k > kMaxK) return fail("The CUDA top-k takes at most %llu values, not %llu.", kMaxK, k);
  if (n >= (1ull << 31)) return fail("The CUDA top-k was given a row of more than 2^31 values.");
  if (rows >= (1ull << 31)) return fail("The CUDA top-k was given more than 2^31 rows.");
  if (k > n) k = n;
  if (rows == 0 || k == 0) return FLINT_CUDA_OK;
  if (!values || !out) return fail("The CUDA top-k was called with a null pointer.");
  topKKernel<<<unsigned(rows), kThreads, 0, rawStream(stream)>>>(values, n, k, out);
  return checkLaunch("topK");
}
