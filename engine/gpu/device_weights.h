#pragma once
// The backbone's weights in device memory: every tensor but the routed experts, uploaded once
// into one allocation, in the checkpoint's own formats (FP8 and FP4 stay quantized; the
// kernels dequantize on the fly). The views mirror ModelWeights with device pointers.
#include "engine/backend/cuda_ops.h"
#include "engine/model/model_weights.h"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace flint::engine {

struct DeviceHyperConnection {
  DeviceWeight fn;  // F32 [mixWidth, streams * hidden]
  std::size_t mixWidth = 0;
  const float* scale = nullptr;
  const float* base = nullptr;
};

struct DeviceCompressor {
  DeviceWeight wkv, wgate;
  const float* ape = nullptr;
  const float* norm = nullptr;
};

struct DeviceAttention {
  DeviceWeight wqA, wqB, wkv, woA, woB;
  const float* qNorm = nullptr;
  const float* kvNorm = nullptr;
  const float* sink = nullptr;
  bool hasCompressor = false;
  DeviceCompressor compressor;
  bool hasIndexer = false;
  DeviceWeight indexerWqB, indexerWeightsProj;
  DeviceCompressor indexerCompressor;
};

struct DeviceExpert {
  DeviceWeight w1, w2, w3;
};

struct DeviceMoe {
  DeviceWeight gate;
  const float* bias = nullptr;
  const std::int32_t* tid2eid = nullptr;  // null in bias-routed layers
  DeviceExpert shared;
};

struct DeviceBlock {
  std::int64_t ratio = 0;
  const float* attnNorm = nullptr;
  const float* ffnNorm = nullptr;
  DeviceHyperConnection hcAttn, hcFfn;
  DeviceAttention attn;
  DeviceMoe moe;
};

// The bytes of a weight's values and of its scales, as the device keeps them.
std::size_t weightDataBytes(const WeightView& w);
std::size_t weightScaleBytes(const WeightView& w);
// The three matrices of one routed expert, packed (data then scales, each 256-byte aligned).
std::size_t packedExpertBytes(const ExpertWeights& e);
// Copies expert `e` into `slot` (host memory of packedExpertBytes) and returns the views of
// the same layout at device address `deviceSlot`.
DeviceExpert packExpert(const ExpertWeights& e, std::uint8_t* slot, const void* deviceSlot);

class DeviceModelWeights {
 public:
  // Uploads every non-routed tensor of `weights`; throws CudaError when the device is full.
  DeviceModelWeights(const CudaOps& ops, const ModelWeights& weights);

  // What the constructor uploads, without a device.
  static std::size_t bytesFor(const ModelWeights& weights);
  std::size_t bytes() const { return arena_.bytes(); }

  const std::uint16_t* embed = nullptr;  // [vocab, hidden] bf16
  DeviceWeight head;
  const float* norm = nullptr;
  DeviceHyperConnection hcHead;
  std::vector<DeviceBlock> layers;

 private:
  DeviceBuffer arena_;
};

}  // namespace flint::engine
