#include "engine/model/model_weights.h"

#include "engine/model/model_error.h"
#include "kernels/cpu/quant_formats.h"

#include <cstring>

namespace flint::engine {
namespace {

class Binder {
 public:
  explicit Binder(const ModelFiles& files) : files_(files) {}

  const TensorView& tensor(const std::string& name) const {
    const TensorView* t = files_.weights.find(name);
    if (!t) throw ModelError("the checkpoint has no tensor " + name);
    return *t;
  }

  // A linear weight [out, in] in whatever format it is stored.
  WeightView linear(const std::string& prefix) const {
    const TensorView& w = tensor(prefix + ".weight");
    WeightView v;
    v.rows = std::size_t(w.shape().at(0));
    v.data = w.bytes().data();
    switch (w.dtype()) {
      case DType::F8_E4M3:
        v.format = kernels::WeightFormat::Fp8Block128;
        v.cols = std::size_t(w.shape().at(1));
        v.scales = reinterpret_cast<const std::uint8_t*>(tensor(prefix + ".scale").bytes().data());
        break;
      case DType::I8:
        v.format = kernels::WeightFormat::Fp4Group32;
        v.cols = std::size_t(w.shape().at(1)) * 2;
        v.scales = reinterpret_cast<const std::uint8_t*>(tensor(prefix + ".scale").bytes().data());
        break;
      case DType::BF16:
        v.format = kernels::WeightFormat::BF16;
        v.cols = std::size_t(w.shape().at(1));
        break;
      case DType::F32:
        v.format = kernels::WeightFormat::F32;
        v.cols = std::size_t(w.shape().at(1));
        break;
      default:
        throw ModelError("tensor " + prefix + ".weight has dtype " +
                         std::string(dtypeName(w.dtype())) + ", which no linear layer accepts");
    }
    return v;
  }

  // A small tensor (norm weight, bias, mHC parameter) as floats.
  std::vector<float> floats(const std::string& name) const {
    const TensorView& t = tensor(name);
    const auto bytes = t.bytes();
    std::vector<float> out;
    switch (t.dtype()) {
      case DType::F32:
        out.resize(bytes.size() / 4);
        std::memcpy(out.data(), bytes.data(), bytes.size());
        break;
      case DType::BF16: {
        out.resize(bytes.size() / 2);
        for (std::size_t i = 0; i < out.size(); ++i) {
          std::uint16_t h;
          std::memcpy(&h, bytes.data() + 2 * i, 2);
          out[i] = kernels::bf16ToF32(h);
        }
        break;
      }
      default:
        throw ModelError("tensor " + name + " has dtype " + std::string(dtypeName(t.dtype())) +
                         "; expected BF16 or F32");
    }
    return out;
  }

  HyperConnectionWeights hyperConnection(const std::string& prefix) const {
    HyperConnectionWeights hc;
    const TensorView& fn = tensor(prefix + "_fn");
    if (fn.dtype() != DType::F32) throw ModelError("tensor " + prefix + "_fn must be F32");
    hc.fn = reinterpret_cast<const float*>(fn.bytes().data());
    hc.mixWidth = std::size_t(fn.shape().at(0));
    hc.scale = floats(prefix + "_scale");
    hc.base = floats(prefix + "_base");
    return hc;
  }

  CompressorWeights compressor(const std::string& prefix) const {
    return {linear(prefix + ".wkv"), linear(prefix + ".wgate"), floats(prefix + ".ape"),
            floats(prefix + ".norm.weight")};
  }

  ExpertWeights expert(const std::string& prefix) const {
    return {linear(prefix + ".w1"), linear(prefix + ".w2"), linear(prefix + ".w3")};
  }

  std::vector<std::int32_t> tid2eid(const std::string& name) const {
    const TensorView& t = tensor(name);
    const auto bytes = t.bytes();
    std::vector<std::int32_t> out;
    if (t.dtype() == DType::I64) {
      out.resize(bytes.size() / 8);
      for (std::size_t i = 0; i < out.size(); ++i) {
        std::int64_t v;
        std::memcpy(&v, bytes.data() + 8 * i, 8);
        out[i] = std::int32_t(v);
      }
    } else if (t.dtype() == DType::I32) {
      out.resize(bytes.size() / 4);
      std::memcpy(out.data(), bytes.data(), bytes.size());
    } else {
      throw ModelError("tensor " + name + " must be I64 or I32");
    }
    const auto experts = files_.config.nRoutedExperts;
    for (auto e : out)
      if (e < 0 || e >= experts)
        throw ModelError("tensor " + name + " routes to expert " + std::to_string(e) +
                         ", but the model has " + std::to_string(experts));
    return out;
  }

 private:
  const ModelFiles& files_;
};

// One block's tensors under prefix `p` (a backbone layer or a drafter stage).
BlockWeights bindBlock(const Binder& b, const std::string& p, std::int64_t ratio, bool csa,
                       bool hashRouted, std::int64_t routedExperts) {
  BlockWeights layer;
  layer.ratio = ratio;
  layer.attnNorm = b.floats(p + "attn_norm.weight");
  layer.ffnNorm = b.floats(p + "ffn_norm.weight");
  layer.hcAttn = b.hyperConnection(p + "hc_attn");
  layer.hcFfn = b.hyperConnection(p + "hc_ffn");

  AttentionWeights& a = layer.attn;
  a.wqA = b.linear(p + "attn.wq_a");
  a.wqB = b.linear(p + "attn.wq_b");
  a.wkv = b.linear(p + "attn.wkv");
  a.woA = b.linear(p + "attn.wo_a");
  a.woB = b.linear(p + "attn.wo_b");
  a.qNorm = b.floats(p + "attn.q_norm.weight");
  a.kvNorm = b.floats(p + "attn.kv_norm.weight");
  a.sink = b.floats(p + "attn.attn_sink");
  if (ratio != 0) {
    a.hasCompressor = true;
    a.compressor = b.compressor(p + "attn.compressor");
  }
  if (csa) {
    a.hasIndexer = true;
    a.indexerWqB = b.linear(p + "attn.indexer.wq_b");
    a.indexerWeightsProj = b.linear(p + "attn.indexer.weights_proj");
    a.indexerCompressor = b.compressor(p + "attn.indexer.compressor");
  }

  MoeWeights& moe = layer.moe;
  moe.gate = b.linear(p + "ffn.gate");
  if (hashRouted)
    moe.tid2eid = b.tid2eid(p + "ffn.gate.tid2eid");
  else
    moe.bias = b.floats(p + "ffn.gate.bias");
  moe.shared = b.expert(p + "ffn.shared_experts");
  for (std::int64_t e = 0; e < routedExperts; ++e)
    moe.experts.push_back(b.expert(p + "ffn.experts." + std::to_string(e)));
  return layer;
}

}  // namespace

ModelWeights bindModelWeights(const ModelFiles& files) {
  const ModelConfig& c = files.config;
  const Binder b(files);
  ModelWeights m;
  const TensorView& embed = b.tensor("embed.weight");
  if (embed.dtype() != DType::BF16) throw ModelError("tensor embed.weight must be BF16");
  m.embed = reinterpret_cast<const std::uint16_t*>(embed.bytes().data());
  m.head = b.linear("head");
  m.norm = b.floats("norm.weight");
  m.hcHead = b.hyperConnection("hc_head");
  for (std::int64_t l = 0; l < c.numHiddenLayers; ++l)
    m.layers.push_back(
        bindBlock(b, "layers." + std::to_string(l) + ".", c.compressRatios.at(std::size_t(l)),
                  c.layerAttention(l) == LayerAttention::Csa, c.isHashLayer(l), c.nRoutedExperts));
  return m;
}

DrafterWeights bindDrafterWeights(const ModelFiles& files) {
  const ModelConfig& c = files.config;
  if (!c.dspark) throw ModelError("the model has no DSpark drafter");
  const Binder b(files);
  DrafterWeights w;
  const std::size_t stages = c.dspark->targetLayerIds.size();
  for (std::size_t s = 0; s < stages; ++s)
    w.stages.push_back(
        bindBlock(b, "mtp." + std::to_string(s) + ".", 0, false, false, c.nRoutedExperts));
  w.mainProj = b.linear("mtp.0.main_proj");
  w.mainNorm = b.floats("mtp.0.main_norm.weight");
  const std::string last = "mtp." + std::to_string(stages - 1) + ".";
  w.norm = b.floats(last + "norm.weight");
  w.hcHead = b.hyperConnection(last + "hc_head");
  const TensorView& w1 = b.tensor(last + "markov_head.markov_w1.weight");
  if (w1.dtype() != DType::BF16)
    throw ModelError("tensor " + last + "markov_head.markov_w1.weight must be BF16");
  w.markovW1 = reinterpret_cast<const std::uint16_t*>(w1.bytes().data());
  w.markovRank = std::size_t(w1.shape().at(1));
  w.markovW2 = b.linear(last + "markov_head.markov_w2");
  w.confidence = b.floats(last + "confidence_head.proj.weight");
  return w;
}

}  // namespace flint::engine
