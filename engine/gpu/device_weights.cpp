#include "engine/gpu/device_weights.h"

#include <cstring>
#include <vector>

namespace flint::engine {

namespace {

constexpr std::size_t kAlign = 256;

std::size_t alignUp(std::size_t n) {
  return (n + kAlign - 1) / kAlign * kAlign;
}

std::size_t ceilDiv(std::size_t a, std::size_t b) {
  return (a + b - 1) / b;
}

// Lays tensors out in one arena: a first pass only counts (no ops), the second copies each
// tensor to its offset. Both passes place tensors in the same order, so offsets agree.
class Placer {
 public:
  Placer(const CudaOps* ops, std::uint8_t* base) : ops_(ops), base_(base) {}

  const void* put(const void* host, std::size_t bytes) {
    if (!host || bytes == 0) return nullptr;
    std::uint8_t* at = base_ ? base_ + offset_ : nullptr;
    if (ops_) ops_->copyToDevice(at, host, bytes);
    offset_ += alignUp(bytes);
    return at;
  }
  template <typename T>
  const T* put(const std::vector<T>& v) {
    return static_cast<const T*>(put(v.data(), v.size() * sizeof(T)));
  }
  DeviceWeight put(const WeightView& w) {
    DeviceWeight d;
    d.format = w.format;
    d.rows = w.rows;
    d.cols = w.cols;
    d.scaleRowOffset = w.scaleRowOffset;
    d.data = put(w.data, weightDataBytes(w));
    d.scales = static_cast<const std::uint8_t*>(put(w.scales, weightScaleBytes(w)));
    return d;
  }
  DeviceHyperConnection put(const HyperConnectionWeights& w, std::size_t flat) {
    DeviceHyperConnection d;
    d.mixWidth = w.mixWidth;
    d.fn = put(WeightView{kernels::WeightFormat::F32, w.fn, nullptr, w.mixWidth, flat});
    d.scale = put(w.scale);
    d.base = put(w.base);
    return d;
  }
  DeviceCompressor put(const CompressorWeights& w) {
    return {put(w.wkv), put(w.wgate), put(w.ape), put(w.norm)};
  }
  DeviceExpert put(const ExpertWeights& e) { return {put(e.w1), put(e.w2), put(e.w3)}; }

  std::size_t offset() const { return offset_; }

 private:
  const CudaOps* ops_;
  std::uint8_t* base_;
  std::size_t offset_ = 0;
};

struct Layout {
  const std::uint16_t* embed = nullptr;
  DeviceWeight head;
  const float* norm = nullptr;
  DeviceHyperConnection hcHead;
  std::vector<DeviceBlock> layers;
};

Layout place(Placer& p, const ModelWeights& w) {
  Layout out;
  const std::size_t hidden = w.norm.size();
  const std::size_t vocab = w.head.rows;
  const std::size_t streams = w.hcHead.mixWidth;  // the head's mix is one weight per stream
  const std::size_t flat = streams * hidden;
  out.embed =
      static_cast<const std::uint16_t*>(p.put(w.embed, vocab * hidden * sizeof(std::uint16_t)));
  out.head = p.put(w.head);
  out.norm = p.put(w.norm);
  out.hcHead = p.put(w.hcHead, flat);
  for (const BlockWeights& l : w.layers) {
    DeviceBlock b;
    b.ratio = l.ratio;
    b.attnNorm = p.put(l.attnNorm);
    b.ffnNorm = p.put(l.ffnNorm);
    b.hcAttn = p.put(l.hcAttn, flat);
    b.hcFfn = p.put(l.hcFfn, flat);
    const AttentionWeights& a = l.attn;
    DeviceAttention& d = b.attn;
    d.wqA = p.put(a.wqA);
    d.wqB = p.put(a.wqB);
    d.wkv = p.put(a.wkv);
    d.woA = p.put(a.woA);
    d.woB = p.put(a.woB);
    d.qNorm = p.put(a.qNorm);
    d.kvNorm = p.put(a.kvNorm);
    d.sink = p.put(a.sink);
    d.hasCompressor = a.hasCompressor;
    if (a.hasCompressor) d.compressor = p.put(a.compressor);
    d.hasIndexer = a.hasIndexer;
    if (a.hasIndexer) {
      d.indexerWqB = p.put(a.indexerWqB);
      d.indexerWeightsProj = p.put(a.indexerWeightsProj);
      d.indexerCompressor = p.put(a.indexerCompressor);
    }
    b.moe.gate = p.put(l.moe.gate);
    b.moe.bias = p.put(l.moe.bias);
    b.moe.tid2eid = p.put(l.moe.tid2eid);
    b.moe.shared = p.put(l.moe.shared);
    out.layers.push_back(b);
  }
  return out;
}

}  // namespace

std::size_t weightScaleBytes(const WeightView& w) {
  switch (w.format) {
    case kernels::WeightFormat::Fp8Block128:
      return ceilDiv(w.rows, 128) * ceilDiv(w.cols, 128);
    case kernels::WeightFormat::Fp4Group32:
      return w.rows * ceilDiv(w.cols, 32);
    default:
      return 0;
  }
}

std::size_t weightDataBytes(const WeightView& w) {
  return w.bytes() - weightScaleBytes(w);
}

std::size_t packedExpertBytes(const ExpertWeights& e) {
  std::size_t total = 0;
  for (const WeightView* w : {&e.w1, &e.w2, &e.w3})
    total += alignUp(weightDataBytes(*w)) + alignUp(weightScaleBytes(*w));
  return total;
}

DeviceExpert packExpert(const ExpertWeights& e, std::uint8_t* slot, const void* deviceSlot) {
  std::size_t offset = 0;
  const auto* device = static_cast<const std::uint8_t*>(deviceSlot);
  auto copy = [&](const void* src, std::size_t bytes) -> const std::uint8_t* {
    if (!src || bytes == 0) return nullptr;
    std::memcpy(slot + offset, src, bytes);
    const std::uint8_t* at = device + offset;
    offset += alignUp(bytes);
    return at;
  };
  auto pack = [&](const WeightView& w) {
    DeviceWeight d;
    d.format = w.format;
    d.rows = w.rows;
    d.cols = w.cols;
    d.scaleRowOffset = w.scaleRowOffset;
    d.data = copy(w.data, weightDataBytes(w));
    d.scales = copy(w.scales, weightScaleBytes(w));
    return d;
  };
  DeviceExpert out;
  out.w1 = pack(e.w1);
  out.w2 = pack(e.w2);
  out.w3 = pack(e.w3);
  return out;
}

std::size_t DeviceModelWeights::bytesFor(const ModelWeights& weights) {
  Placer counter(nullptr, nullptr);
  place(counter, weights);
  return counter.offset();
}

DeviceModelWeights::DeviceModelWeights(const CudaOps& ops, const ModelWeights& weights)
    : arena_(ops.allocate(bytesFor(weights))) {
  Placer placer(&ops, arena_.as<std::uint8_t>());
  Layout l = place(placer, weights);
  embed = l.embed;
  head = l.head;
  norm = l.norm;
  hcHead = l.hcHead;
  layers = std::move(l.layers);
}

}  // namespace flint::engine
