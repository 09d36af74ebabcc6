#pragma once
// The DeepSeek-V4 backbone on a CUDA device, composed of CudaOps: the same steps as the CPU
// Transformer (deepseek-v4.md §3), in the same order and with the same roundings, so that on
// an exact device (the host emulation the tests load) its logits are bit-identical to the
// CPU's, and on a GPU they differ only by the kernels' own rounding.
//
// Each pass runs at most batchTokens tokens (longer calls run in passes). Per layer the GPU
// routes the tokens and the host reads the choice back (the one synchronization in a layer):
// experts resident in device slots run on the GPU, the others on the CPU from the tier below,
// at the same time as the GPU computes the shared expert and the resident ones; the CPU's
// outputs are copied up and every routed output is added in expert order, as the CPU does.
#include "engine/backend/cuda_ops.h"
#include "engine/experts/expert_store.h"
#include "engine/gpu/device_cache.h"
#include "engine/gpu/device_expert_slots.h"
#include "engine/gpu/device_weights.h"
#include "engine/gpu/memory_plan.h"
#include "engine/model/moe.h"
#include "engine/model/numerics.h"
#include "engine/model/rope.h"
#include "engine/model/transformer.h"

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <vector>

namespace flint::engine {

class CudaTransformer {
 public:
  // Uploads `model`'s weights and makes plan.deviceExperts expert slots. `below` is where the
  // routed experts live on the host (must outlive this). Throws CudaError (device full...).
  CudaTransformer(const CudaOps& ops, const Transformer& model, ExpertStore& below,
                  const DeviceMemoryPlan& plan, kernels::ThreadPool* pool);
  ~CudaTransformer();
  CudaTransformer(const CudaTransformer&) = delete;
  CudaTransformer& operator=(const CudaTransformer&) = delete;

  const ModelConfig& config() const { return model_.config(); }
  const DeviceMemoryPlan& plan() const { return plan_; }
  const DeviceExpertSlots& expertSlots() const { return slots_; }
  // Decode steps replay each layer's attention half as one CUDA graph (on by default; off
  // runs every op on its own, for comparison).
  void setDecodeGraphs(bool on) { decodeGraphs_ = on; }
  std::size_t graphLaunches() const { return graphLaunches_; }

  DeviceCache newCache() const;
  // Routed experts the last forward() used, summed over layers (as Transformer counts them).
  std::size_t lastDistinctExperts() const { return lastDistinctExperts_; }

  // As Transformer::forward, with the cache on the device.
  void forward(std::span<const std::int32_t> ids, DeviceCache& cache, Numerics numerics,
               bool allPositions, std::vector<float>& logits, std::vector<float>* taps = nullptr);

 private:
  struct Scratch;
  // One pass of at most batchTokens; `head`: 0 none, 1 the last row, 2 every row.
  void pass(std::span<const std::int32_t> ids, DeviceCache& cache, int head,
            std::vector<float>& logits, std::vector<float>* taps);
  // mHC around a sub-layer: hcBegin mixes the streams into the normed input y, hcEnd writes
  // the sub-layer's output `sub` back into every stream.
  void hcBegin(const DeviceHyperConnection& hc, const float* norm, std::size_t tokens);
  void hcEnd(std::size_t tokens);
  void attention(std::size_t layer, std::size_t tokens, std::int64_t start, DeviceLayerCache& c);
  void compressEntries(const DeviceCompressor& w, DeviceCompressorState& state, float* entries,
                       const float* kv, const float* gate, const RopeTable& rope,
                       std::int64_t start, std::size_t tokens, bool indexer);
  // The router's choice for the pass, on the device (the end of a layer's attention half).
  void route(std::size_t layer, std::size_t tokens);
  // The rest of the MoE: the host reads the choice, the GPU and the CPU compute the experts.
  void moe(std::size_t layer, std::size_t tokens);
  // A layer up to its routing: mHC, attention, mHC, the router. What a decode graph records.
  void attentionHalf(std::size_t layer, std::size_t tokens, std::int64_t start,
                     DeviceLayerCache& cache);
  // Decode graphs: the step's position and entry angles to the device before the layers; then
  // per layer, its attention half replayed (recorded at the cache's first step). False when
  // graphs cannot be used here (the layer then runs op by op).
  void prepareDecodeStep(DeviceCache& cache, std::int64_t start);
  bool launchDecodeGraph(std::size_t layer, DeviceCache& cache);
  void expertFfn(const DeviceExpert& e, const float* x, const float* tokenWeights,
                 std::size_t tokens, float* y);
  // linear() for the resident routed experts at once: `tokens` rows of x, one group per expert.
  void groupedLinear(const FlintCudaLinearGroup* groups, std::size_t count, std::size_t rows,
                     std::size_t cols, const float* x, std::size_t tokens, float* y);

  // The MoE hand-off of one pass (see moe()), at `base` in host or device memory.
  struct MoeHandOff {
    std::int32_t* rows;  // [tokens * k]: each (token, expert) pair's token, experts in order
    float* scales;       // [tokens * k]: its routing weight
    std::int32_t* tokenOffsets;    // [tokens + 1]: each token's pairs in tokenRows
    std::int32_t* tokenRows;       // [tokens * k]: pair indices, each token's in expert order
    FlintCudaLinearGroup* groups;  // [3 * experts]: w1, w3 and w2 of the resident experts
    std::size_t bytes;
  };
  static MoeHandOff layOutHandOff(std::uintptr_t base, std::size_t tokens, std::size_t k,
                                  std::size_t experts);

  // A linear as engine/model/linear.cpp runs it: FP8 input rounding before quantized weights
  // and bf16 output in official numerics.
  void linear(const DeviceWeight& w, const float* x, std::size_t tokens, float* y);
  // The bare product (no rounding), through cuBLASLt for larger batches of exact inputs.
  void matmul(const DeviceWeight& w, const float* x, std::size_t tokens, float* y);
  void store(float* x, std::size_t n);
  void copy(float* dst, const float* src, std::size_t n);
  // Fake-quantizes the first n of each of `rows` rows, `stride` floats apart.
  void fakeQuantE4m3Prefix(float* x, std::size_t rows, std::size_t stride, std::size_t n);
  // cos/sin of positions first, first + step, ... (count of them) into device tables
  // [count, pairs]; no allocation once the host staging has grown.
  void angles(const RopeTable& rope, std::int64_t first, std::int64_t step, std::size_t count,
              float* cos, float* sin);

  const CudaOps& ops_;
  const Transformer& model_;
  ExpertStore& below_;
  DeviceMemoryPlan plan_;
  kernels::ThreadPool* pool_;
  DeviceModelWeights weights_;
  DeviceExpertSlots slots_;
  std::map<std::int64_t, RopeTable> ropes_;  // by compress ratio
  Numerics numerics_ = Numerics::Official;
  std::unique_ptr<Scratch> s_;
  Moe hostMoe_;  // computes the experts that are not on the device
  std::size_t lastDistinctExperts_ = 0;
  bool expertsQuantized_ = false;  // routed experts in FP8/FP4: their inputs are FP8-rounded
  // Where ops go: null (the default stream) but while a decode graph records.
  const CudaStream* stream_ = nullptr;
  const long long* startOnDevice_ = nullptr;  // set while recording: the step's position
  CudaStream capture_;
  bool decodeGraphs_ = true;
  std::size_t graphLaunches_ = 0;
};

}  // namespace flint::engine
