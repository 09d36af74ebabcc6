#include "engine/model/model_census.h"

#include <map>
#include <string>

namespace flint::engine {
namespace {

bool isScale(const TensorView& t) {
  return t.dtype() == DType::F8_E8M0;
}
bool isRoutedExpert(const std::string& name) {
  return name.find(".ffn.experts.") != std::string::npos;
}
bool isDrafter(const std::string& name) {
  return name.rfind("mtp.", 0) == 0;
}

// Logical parameters: FP4 packs two per byte.
std::uint64_t paramsOf(const TensorView& t) {
  if (isScale(t)) return 0;
  std::uint64_t n = 1;
  for (std::int64_t d : t.shape()) n *= std::uint64_t(d);
  return t.dtype() == DType::I8 ? 2 * n : n;
}

// "layers.12." or "mtp.0." for block tensors; "" for the top level.
std::string blockPrefix(const std::string& name) {
  if (name.rfind("layers.", 0) != 0 && !isDrafter(name)) return "";
  return name.substr(0, name.find('.', name.find('.') + 1) + 1);
}

}  // namespace

ModelCensus takeCensus(const ModelConfig& config, const TensorStore& weights) {
  ModelCensus census;
  std::map<DType, DTypeTotal> byDType;
  std::map<std::string, std::uint64_t> routedParamsByBlock;
  for (const TensorView& t : weights.tensors()) {
    auto& total = byDType.try_emplace(t.dtype(), DTypeTotal{t.dtype()}).first->second;
    ++total.tensors;
    total.bytes += t.byteSize();
    census.totalBytes += t.byteSize();
    const std::uint64_t params = paramsOf(t);
    census.paramsTotal += params;
    (isDrafter(t.name()) ? census.paramsDrafter : census.paramsBackbone) += params;
    if (isRoutedExpert(t.name())) {
      census.routedExpertBytes += t.byteSize();
      routedParamsByBlock[blockPrefix(t.name())] += params;
      if (t.name().find(".ffn.experts.0.") != std::string::npos &&
          blockPrefix(t.name()) == "layers.0.")
        census.expertBytes += t.byteSize();
    } else {
      (isDrafter(t.name()) ? census.paramsActiveDrafter : census.paramsActiveBackbone) += params;
    }
  }
  for (const auto& [prefix, routed] : routedParamsByBlock) {
    const std::uint64_t active =
        routed * std::uint64_t(config.numExpertsPerTok) / std::uint64_t(config.nRoutedExperts);
    (isDrafter(prefix) ? census.paramsActiveDrafter : census.paramsActiveBackbone) += active;
  }
  for (DType d : kAllDTypes)
    if (auto it = byDType.find(d); it != byDType.end()) census.byDType.push_back(it->second);
  census.tensorCount = weights.tensors().size();
  census.nonExpertBytes = census.totalBytes - census.routedExpertBytes;

  for (std::int64_t i = 0; i < config.numHiddenLayers; ++i) {
    const std::int64_t ratio = config.compressRatios[std::size_t(i)];
    switch (config.layerAttention(i)) {
      case LayerAttention::Window:
        ++census.layersWindow;
        break;
      case LayerAttention::Csa:
        ++census.layersCsa;
        census.kvBytesPerToken +=
            2.0 * double(config.headDim + config.indexHeadDim) / double(ratio);
        break;
      case LayerAttention::Hca:
        ++census.layersHca;
        census.kvBytesPerToken += 2.0 * double(config.headDim) / double(ratio);
        break;
    }
  }
  census.layersHash = config.numHashLayers;
  census.drafterStages = config.nDraftStages;
  census.kvWindowBytes = std::uint64_t(config.numHiddenLayers + config.nDraftStages) *
                         std::uint64_t(config.slidingWindow) * std::uint64_t(config.headDim) * 2;
  return census;
}

}  // namespace flint::engine
