#pragma once
// The CUDA module's memory, streams and ops (kernels/cuda/ops_abi.h) behind a C++ face: the
// entry points resolved once with dlsym, device memory in RAII buffers, and every failure a
// CudaError carrying the module's sentence. No CUDA header is included: device memory is a
// pointer the host never dereferences. Ops are asynchronous on their stream (null: the
// device's default stream); a fault shows at the next synchronizing call, which throws.
#include "engine/backend/cuda_module.h"
#include "kernels/cpu/matmul.h"
#include "kernels/cuda/ops_abi.h"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <stdexcept>
#include <vector>

namespace flint::engine {

class CudaError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class CudaOps;

// One allocation, freed on destruction (a failure there is logged, never thrown). Must not
// outlive the CudaOps that made it.
class CudaAllocation {
 public:
  CudaAllocation() = default;
  ~CudaAllocation();
  CudaAllocation(CudaAllocation&& other) noexcept;
  CudaAllocation& operator=(CudaAllocation&& other) noexcept;

  void* data() const { return data_; }
  std::size_t bytes() const { return bytes_; }
  template <typename T>
  T* as() const {
    return static_cast<T*>(data_);
  }

 protected:
  CudaAllocation(const CudaOps* ops, void* data, std::size_t bytes, bool pinned)
      : ops_(ops), data_(data), bytes_(bytes), pinned_(pinned) {}

 private:
  void release() noexcept;

  const CudaOps* ops_ = nullptr;
  void* data_ = nullptr;
  std::size_t bytes_ = 0;
  bool pinned_ = false;  // page-locked host memory rather than device memory
};

// Device memory: the host never dereferences data().
class DeviceBuffer : public CudaAllocation {
 public:
  DeviceBuffer() = default;

 private:
  friend class CudaOps;
  DeviceBuffer(const CudaOps* ops, void* data, std::size_t bytes)
      : CudaAllocation(ops, data, bytes, false) {}
};

// Page-locked host memory: the host side of an overlapping asynchronous copy.
class PinnedBuffer : public CudaAllocation {
 public:
  PinnedBuffer() = default;

 private:
  friend class CudaOps;
  PinnedBuffer(const CudaOps* ops, void* data, std::size_t bytes)
      : CudaAllocation(ops, data, bytes, true) {}
};

class CudaStream {
 public:
  CudaStream() = default;
  ~CudaStream();
  CudaStream(CudaStream&& other) noexcept;
  CudaStream& operator=(CudaStream&& other) noexcept;
  FlintCudaStream* handle() const { return handle_; }

 private:
  friend class CudaOps;
  CudaStream(const CudaOps* ops, FlintCudaStream* handle) : ops_(ops), handle_(handle) {}
  void release() noexcept;

  const CudaOps* ops_ = nullptr;
  FlintCudaStream* handle_ = nullptr;
};

// Ops recorded from a stream once and replayed (CUDA graphs); destroyed with this object.
class CudaGraph {
 public:
  CudaGraph() = default;
  ~CudaGraph();
  CudaGraph(CudaGraph&& other) noexcept;
  CudaGraph& operator=(CudaGraph&& other) noexcept;
  FlintCudaGraph* handle() const { return handle_; }
  explicit operator bool() const { return handle_ != nullptr; }

 private:
  friend class CudaOps;
  CudaGraph(const CudaOps* ops, FlintCudaGraph* handle) : ops_(ops), handle_(handle) {}
  void release() noexcept;

  const CudaOps* ops_ = nullptr;
  FlintCudaGraph* handle_ = nullptr;
};

// A weight in device memory, laid out as kernels::WeightView (the CPU twin).
struct DeviceWeight {
  kernels::WeightFormat format = kernels::WeightFormat::F32;
  const void* data = nullptr;
  const std::uint8_t* scales = nullptr;
  std::size_t rows = 0;
  std::size_t cols = 0;
  std::size_t scaleRowOffset = 0;
};

// MoE routing over device arrays; see FlintCudaRouting in ops_abi.h.
struct DeviceRouting {
  const float* logits = nullptr;          // [tokens, experts]
  const float* bias = nullptr;            // [experts]; unused with tid2eid
  const std::int32_t* tid2eid = nullptr;  // [vocab, k] or null
  const std::int32_t* ids = nullptr;      // [tokens], with tid2eid
  std::size_t tokens = 0, experts = 0, k = 0;
  bool normalize = true;
  float routedScale = 1.0f;
  std::int32_t* chosen = nullptr;  // out [tokens, k]
  float* weights = nullptr;        // out [tokens, k]
};

class CudaOps {
 public:
  // Opens the module at `modulePath`, checks that a device is usable and opens device
  // `ordinal`. Throws CudaError with a sentence: why the module did not load, the probe's
  // reason when no device is usable, the first entry point the module lacks, or why the device
  // could not be opened.
  static std::unique_ptr<CudaOps> open(const std::filesystem::path& modulePath, int ordinal = 0);
  // The same with the module found as probeCuda() finds it.
  static std::unique_ptr<CudaOps> create(int ordinal = 0);

  ~CudaOps();
  CudaOps(const CudaOps&) = delete;
  CudaOps& operator=(const CudaOps&) = delete;

  const CudaProbeResult& probe() const { return probe_; }
  int ordinal() const { return ordinal_; }

  // ---- memory and streams ----
  DeviceBuffer allocate(std::size_t bytes) const;
  PinnedBuffer allocatePinned(std::size_t bytes) const;
  DeviceBuffer upload(const void* host, std::size_t bytes) const;
  template <typename T>
  DeviceBuffer upload(std::span<const T> host) const {
    return upload(host.data(), host.size_bytes());
  }
  template <typename T>
  std::vector<T> download(const void* device, std::size_t count) const {
    std::vector<T> out(count);
    copyToHost(out.data(), device, count * sizeof(T));
    return out;
  }
  void copyToDevice(void* device, const void* host, std::size_t bytes) const;
  void copyToHost(void* host, const void* device, std::size_t bytes) const;
  void copyToDeviceAsync(void* device, const void* host, std::size_t bytes,
                         const CudaStream& stream) const;
  void copyToHostAsync(void* host, const void* device, std::size_t bytes,
                       const CudaStream& stream) const;
  void fill(void* device, int byte, std::size_t bytes) const;
  // A stream of its own: its work overlaps the default stream's (and is not ordered with it).
  CudaStream createStream() const;
  // Whether everything queued on `stream` has finished; never waits.
  bool finished(const CudaStream& stream) const;
  // Waits for `stream` (null: the default stream); throws if an op queued on it failed.
  void synchronize(const CudaStream* stream = nullptr) const;

  // ---- ops on device pointers (shapes as in ops_abi.h) ----
  void linear(const DeviceWeight& w, const float* x, std::size_t tokens, float* y,
              const CudaStream* stream = nullptr) const;
  void linearGemm(const DeviceWeight& w, const float* x, std::size_t tokens, float* y,
                  const CudaStream* stream = nullptr) const;
  void rmsNorm(const float* x, const float* w, std::size_t rows, std::size_t n, float eps,
               float* out, const CudaStream* stream = nullptr) const;
  void rotatePairs(float* x, std::size_t rows, std::size_t rowStride, const float* cos,
                   const float* sin, std::size_t rowsPerPosition, std::size_t pairs, bool conjugate,
                   const CudaStream* stream = nullptr) const;
  void softmaxRows(float* x, std::size_t rows, std::size_t n,
                   const CudaStream* stream = nullptr) const;
  void roundToBf16(float* x, std::size_t n, const CudaStream* stream = nullptr) const;
  void fakeQuantE4m3(float* x, std::size_t rows, std::size_t n, std::size_t block,
                     const CudaStream* stream = nullptr) const;
  void hadamard(float* x, std::size_t rows, std::size_t n,
                const CudaStream* stream = nullptr) const;
  void topK(const float* values, std::size_t rows, std::size_t n, std::size_t k, std::int32_t* out,
            const CudaStream* stream = nullptr) const;
  void argmax(const float* values, std::size_t rows, std::size_t n, std::int32_t* out,
              const CudaStream* stream = nullptr) const;
  void swiglu(float* g, const float* u, const float* tokenWeights, std::size_t tokens,
              std::size_t n, float limit, const CudaStream* stream = nullptr) const;
  void route(const DeviceRouting& routing, const CudaStream* stream = nullptr) const;
  // mHC and sparse attention take ops_abi.h's argument structs as they are.
  void hcPre(const FlintCudaHyperShape& shape, const float* x, const float* mix, const float* scale,
             const float* base, std::size_t tokens, float* pre, float* post, float* comb,
             const CudaStream* stream = nullptr) const;
  void hcWeightedSum(const float* x, const float* pre, std::size_t tokens, std::size_t streams,
                     std::size_t hidden, float* y, const CudaStream* stream = nullptr) const;
  void hcPost(const float* f, const float* res, const float* post, const float* comb,
              std::size_t tokens, std::size_t streams, std::size_t hidden, float* out,
              const CudaStream* stream = nullptr) const;
  void sparseAttention(const FlintCudaSparseAttention& attention,
                       const CudaStream* stream = nullptr) const;

  // ---- the forward pass's remaining ops (ABI 3) ----
  void embed(const std::uint16_t* table, const std::int32_t* ids, std::size_t tokens,
             std::size_t hidden, std::size_t streams, float* out,
             const CudaStream* stream = nullptr) const;
  void fakeQuantE2m1(float* x, std::size_t rows, std::size_t n, std::size_t block,
                     const CudaStream* stream = nullptr) const;
  void scale(float* x, std::size_t n, float factor, const CudaStream* stream = nullptr) const;
  void add(float* y, const float* x, std::size_t n, const CudaStream* stream = nullptr) const;
  void copy2d(void* dst, std::size_t dstPitch, const void* src, std::size_t srcPitch,
              std::size_t widthBytes, std::size_t rows, const CudaStream* stream = nullptr) const;
  void gatherRows(const float* src, const std::int32_t* rows, std::size_t count, std::size_t width,
                  float* dst, const CudaStream* stream = nullptr) const;
  void scatterAddRows(float* dst, const std::int32_t* rows, std::size_t count, std::size_t width,
                      const float* src, const CudaStream* stream = nullptr) const;
  void compress(const FlintCudaCompressor& compressor, const CudaStream* stream = nullptr) const;
  void indexerScores(const FlintCudaIndexerScores& scores,
                     const CudaStream* stream = nullptr) const;
  void attentionIndices(const FlintCudaAttentionIndices& indices,
                        const CudaStream* stream = nullptr) const;
  // `groups` in device memory; see FlintCudaLinearGroup.
  void groupedLinear(const FlintCudaLinearGroup* groups, std::size_t count, std::size_t rows,
                     std::size_t cols, const float* x, float* y,
                     const CudaStream* stream = nullptr) const;
  void addRowsByToken(float* dst, const std::int32_t* offsets, const std::int32_t* rows,
                      std::size_t tokens, std::size_t width, const float* src,
                      const CudaStream* stream = nullptr) const;
  // startOnDevice: see FlintCudaCompressor.
  void commitEntries(const float* staging, float* entries, std::size_t width, std::size_t ratio,
                     std::int64_t start, const long long* startOnDevice, std::size_t tokens,
                     const CudaStream* stream = nullptr) const;
  void ringUpdate(float* ring, std::size_t ringRows, std::size_t width, const float* rows,
                  std::size_t tokens, std::int64_t start, const long long* startOnDevice,
                  const CudaStream* stream = nullptr) const;

  // ---- graphs: ops queued on `stream` between begin and end are recorded, not run ----
  void beginCapture(const CudaStream& stream) const;
  CudaGraph endCapture(const CudaStream& stream) const;
  void launch(const CudaGraph& graph, const CudaStream* stream = nullptr) const;

  // A device weight as the module's C struct (for arrays the device reads, as groupedLinear's).
  static FlintCudaWeight rawWeight(const DeviceWeight& w);

 private:
  friend class CudaAllocation;
  friend class CudaStream;
  friend class CudaGraph;
  struct Api;  // the resolved entry points

  CudaOps(std::unique_ptr<CudaModule> module, std::unique_ptr<Api> api, CudaProbeResult probe,
          int ordinal);
  // The entry points of ops_abi.h; throws CudaError naming the first one `module` lacks.
  static std::unique_ptr<Api> resolveApi(const CudaModule& module);
  // Throws CudaError with the module's last-error sentence unless status is FLINT_CUDA_OK.
  void check(int status) const;

  std::unique_ptr<CudaModule> module_;
  std::unique_ptr<Api> api_;
  CudaProbeResult probe_;
  int ordinal_ = 0;
  FlintCudaContext* context_ = nullptr;
};

}  // namespace flint::engine
