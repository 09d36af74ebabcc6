#include "engine/model/tensor_inventory.h"

#include "kernels/cpu/dequant.h"

namespace flint::engine {
namespace {

using Shape = std::vector<std::int64_t>;

std::int64_t ceilDiv(std::int64_t a, std::int64_t b) {
  return (a + b - 1) / b;
}

class InventoryBuilder {
 public:
  explicit InventoryBuilder(const ModelConfig& c) : c_(c) {}

  void add(const std::string& name, DType dtype, Shape shape) {
    out_.push_back({name, dtype, std::move(shape)});
  }
  void norm(const std::string& name, std::int64_t dim) {
    add(name + ".weight", DType::BF16, {dim});
  }
  void bf16Linear(const std::string& name, std::int64_t out, std::int64_t in) {
    add(name + ".weight", DType::BF16, {out, in});
  }
  // FP8 e4m3 weight with 128x128 E8M0 block scales; BF16 when the checkpoint is unquantized.
  void fp8Linear(const std::string& name, std::int64_t out, std::int64_t in) {
    if (!c_.weightsFp8) return bf16Linear(name, out, in);
    add(name + ".weight", DType::F8_E4M3, {out, in});
    add(name + ".scale", DType::F8_E8M0,
        {ceilDiv(out, c_.fp8BlockOut), ceilDiv(in, c_.fp8BlockIn)});
  }
  // Routed experts: FP4 packed two per I8 byte with 1x32 scales, or FP8 like the rest.
  void expertLinear(const std::string& name, std::int64_t out, std::int64_t in) {
    if (!c_.expertsFp4) return fp8Linear(name, out, in);
    const auto group = std::int64_t(kernels::kFp4GroupSize);
    add(name + ".weight", DType::I8, {out, in / 2});
    add(name + ".scale", DType::F8_E8M0, {out, ceilDiv(in, group)});
  }

  void attention(const std::string& p, std::int64_t ratio) {
    const std::int64_t d = c_.hiddenSize, heads = c_.numAttentionHeads, hd = c_.headDim;
    add(p + "attn.attn_sink", DType::F32, {heads});
    fp8Linear(p + "attn.wq_a", c_.qLoraRank, d);
    norm(p + "attn.q_norm", c_.qLoraRank);
    fp8Linear(p + "attn.wq_b", heads * hd, c_.qLoraRank);
    fp8Linear(p + "attn.wkv", hd, d);
    norm(p + "attn.kv_norm", hd);
    fp8Linear(p + "attn.wo_a", c_.oGroups * c_.oLoraRank, heads * hd / c_.oGroups);
    fp8Linear(p + "attn.wo_b", d, c_.oGroups * c_.oLoraRank);
    if (ratio != 0) {
      const std::int64_t width = (ratio == 4 ? 2 : 1) * hd;  // CSA windows overlap: two halves
      bf16Linear(p + "attn.compressor.wkv", width, d);
      bf16Linear(p + "attn.compressor.wgate", width, d);
      add(p + "attn.compressor.ape", DType::F32, {ratio, width});
      norm(p + "attn.compressor.norm", hd);
    }
    if (ratio == 4) {
      const std::int64_t idx = c_.indexHeadDim;
      fp8Linear(p + "attn.indexer.wq_b", c_.indexNHeads * idx, c_.qLoraRank);
      bf16Linear(p + "attn.indexer.weights_proj", c_.indexNHeads, d);
      bf16Linear(p + "attn.indexer.compressor.wkv", 2 * idx, d);
      bf16Linear(p + "attn.indexer.compressor.wgate", 2 * idx, d);
      add(p + "attn.indexer.compressor.ape", DType::F32, {4, 2 * idx});
      norm(p + "attn.indexer.compressor.norm", idx);
    }
  }

  void hyperConnections(const std::string& p) {
    const std::int64_t n = c_.hcMult, mix = (2 + n) * n;
    for (const char* part : {"attn", "ffn"}) {
      add(p + "hc_" + part + "_fn", DType::F32, {mix, n * c_.hiddenSize});
      add(p + "hc_" + part + "_base", DType::F32, {mix});
      add(p + "hc_" + part + "_scale", DType::F32, {3});
    }
  }

  void moe(const std::string& p, bool hashRouted) {
    const std::int64_t d = c_.hiddenSize, inter = c_.moeIntermediateSize;
    bf16Linear(p + "ffn.gate", c_.nRoutedExperts, d);
    if (hashRouted)
      add(p + "ffn.gate.tid2eid", DType::I64, {c_.vocabSize, c_.numExpertsPerTok});
    else
      add(p + "ffn.gate.bias", DType::F32, {c_.nRoutedExperts});
    for (std::int64_t e = 0; e < c_.nRoutedExperts; ++e) {
      const std::string q = p + "ffn.experts." + std::to_string(e) + ".";
      expertLinear(q + "w1", inter, d);
      expertLinear(q + "w2", d, inter);
      expertLinear(q + "w3", inter, d);
    }
    if (const std::int64_t shared = inter * c_.nSharedExperts; shared > 0) {
      fp8Linear(p + "ffn.shared_experts.w1", shared, d);
      fp8Linear(p + "ffn.shared_experts.w2", d, shared);
      fp8Linear(p + "ffn.shared_experts.w3", shared, d);
    }
  }

  void block(const std::string& p, std::int64_t ratio, bool hashRouted) {
    norm(p + "attn_norm", c_.hiddenSize);
    norm(p + "ffn_norm", c_.hiddenSize);
    attention(p, ratio);
    hyperConnections(p);
    moe(p, hashRouted);
  }

  void hcHead(const std::string& p) {
    const std::int64_t n = c_.hcMult;
    add(p + "hc_head_fn", DType::F32, {n, n * c_.hiddenSize});
    add(p + "hc_head_base", DType::F32, {n});
    add(p + "hc_head_scale", DType::F32, {1});
  }

  void drafterStage(std::int64_t s) {
    const std::int64_t d = c_.hiddenSize;
    const std::string p = "mtp." + std::to_string(s) + ".";
    block(p, 0, false);  // drafter layers are window-only and score-routed
    if (!c_.dspark) {    // V3-style MTP: embeds the next token and the last hidden state
      fp8Linear(p + "e_proj", d, d);
      fp8Linear(p + "h_proj", d, d);
      norm(p + "enorm", d);
      norm(p + "hnorm", d);
      norm(p + "norm", d);
      hcHead(p);
      return;
    }
    if (s == 0) {  // DSpark: the tapped target layers enter through stage 0
      fp8Linear(p + "main_proj", d, std::int64_t(c_.dspark->targetLayerIds.size()) * d);
      norm(p + "main_norm", d);
    }
    if (s == c_.nDraftStages - 1) {  // and leave through the last stage's heads
      const std::int64_t rank = c_.dspark->markovRank;
      norm(p + "norm", d);
      add(p + "markov_head.markov_w1.weight", DType::BF16, {c_.vocabSize, rank});
      add(p + "markov_head.markov_w2.weight", DType::BF16, {c_.vocabSize, rank});
      add(p + "confidence_head.proj.weight", DType::BF16, {1, d + rank});
      hcHead(p);
    }
  }

  std::vector<ExpectedTensor> build() {
    const std::int64_t d = c_.hiddenSize;
    add("embed.weight", DType::BF16, {c_.vocabSize, d});
    add("head.weight", DType::BF16, {c_.vocabSize, d});
    norm("norm", d);
    hcHead("");
    for (std::int64_t i = 0; i < c_.numHiddenLayers; ++i)
      block("layers." + std::to_string(i) + ".", c_.compressRatios[std::size_t(i)],
            c_.isHashLayer(i));
    for (std::int64_t s = 0; s < c_.nDraftStages; ++s) drafterStage(s);
    return std::move(out_);
  }

 private:
  const ModelConfig& c_;
  std::vector<ExpectedTensor> out_;
};

}  // namespace

std::vector<ExpectedTensor> expectedTensors(const ModelConfig& config) {
  return InventoryBuilder(config).build();
}

std::string formatShape(const std::vector<std::int64_t>& shape) {
  std::string out = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + "]";
}

}  // namespace flint::engine
