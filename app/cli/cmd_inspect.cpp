// flint-cli inspect: what a model folder holds and what running it would take. Opens and
// validates the checkpoint (headers only) and prints the census of engine/model/model_census.h,
// then the device memory plan for this machine's GPU when it has a usable one.
#include "app/cli/cli_app.h"
#include "app/cli/model_options.h"
#include "app/paths.h"
#include "app/system/memory_plan.h"
#include "engine/backend/cuda_module.h"
#include "engine/gpu/memory_plan.h"
#include "engine/model/model_census.h"
#include "engine/model/model_files.h"
#include "engine/model/model_weights.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <optional>
#include <ostream>
#include <random>
#include <string>

namespace flint::cli {
namespace {

using engine::ModelCensus;
using engine::ModelConfig;
using nlohmann::json;

std::string drafterKind(const ModelConfig& c) {
  if (c.nDraftStages == 0) return "none";
  return c.dspark ? "dspark" : "mtp";
}

std::string humanCount(std::uint64_t n) {
  const char* units[] = {"", " K", " M", " B", " T"};
  double v = double(n);
  int u = 0;
  while (v >= 1000.0 && u < 4) {
    v /= 1000.0;
    ++u;
  }
  char text[32];
  std::snprintf(text, sizeof text, u == 0 ? "%.0f%s" : "%.2f%s", v, units[u]);
  return text;
}

std::string humanBytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (bytes >= 1024.0 && u < 4) {
    bytes /= 1024.0;
    ++u;
  }
  char text[32];
  std::snprintf(text, sizeof text, u == 0 ? "%.0f %s" : "%.1f %s", bytes, units[u]);
  return text;
}

nlohmann::json planJson(const ModelCensus& s, const ModelConfig& c) {
  const app::MemoryPlan plan =
      app::planMemory(s, std::uint64_t(c.numExpertsPerTok), app::readMemoryInfo());
  return {{"usable_bytes", plan.usableBytes},
          {"host_expert_bytes", plan.hostExpertBytes},
          {"all_resident", plan.allResident},
          {"fits", plan.fits},
          {"explanation", plan.explanation}};
}

json censusJson(const engine::ModelFiles& model, const ModelCensus& s) {
  const ModelConfig& c = model.config;
  json tensorsByDType = json::object(), bytesByDType = json::object();
  for (const auto& t : s.byDType) {
    tensorsByDType[std::string(engine::dtypeName(t.dtype))] = t.tensors;
    bytesByDType[std::string(engine::dtypeName(t.dtype))] = t.bytes;
  }
  return {
      {"model", model.dir.string()},
      {"architecture", "DeepseekV4ForCausalLM"},
      {"config",
       {{"vocab_size", c.vocabSize},
        {"hidden_size", c.hiddenSize},
        {"num_hidden_layers", c.numHiddenLayers},
        {"num_attention_heads", c.numAttentionHeads},
        {"head_dim", c.headDim},
        {"n_routed_experts", c.nRoutedExperts},
        {"num_experts_per_tok", c.numExpertsPerTok},
        {"n_shared_experts", c.nSharedExperts},
        {"hc_mult", c.hcMult},
        {"expert_dtype", c.expertsFp4 ? "fp4" : (c.weightsFp8 ? "fp8" : "bf16")}}},
      {"tensor_count", s.tensorCount},
      {"tensors_by_dtype", tensorsByDType},
      {"bytes_by_dtype", bytesByDType},
      {"total_bytes", s.totalBytes},
      {"routed_expert_bytes", s.routedExpertBytes},
      {"non_expert_bytes", s.nonExpertBytes},
      {"expert_bytes", s.expertBytes},
      {"params_total", s.paramsTotal},
      {"params_backbone", s.paramsBackbone},
      {"params_drafter", s.paramsDrafter},
      {"params_active_backbone", s.paramsActiveBackbone},
      {"params_active_drafter", s.paramsActiveDrafter},
      {"layers_window", s.layersWindow},
      {"layers_csa", s.layersCsa},
      {"layers_hca", s.layersHca},
      {"layers_hash", s.layersHash},
      {"drafter_stages", s.drafterStages},
      {"drafter_kind", drafterKind(c)},
      {"kv_bytes_per_token", s.kvBytesPerToken},
      {"kv_window_bytes", s.kvWindowBytes},
      {"memory",
       {{"all_weights_bytes", s.totalBytes},
        {"gpu_resident_non_expert_bytes", s.nonExpertBytes},
        {"routed_expert_bytes", s.routedExpertBytes},
        {"kv_bytes_per_token", s.kvBytesPerToken},
        {"kv_window_bytes_per_sequence", s.kvWindowBytes}}},
      {"plan", planJson(s, c)},
  };
}

void printCensus(const engine::ModelFiles& model, const ModelCensus& s, std::ostream& out) {
  const ModelConfig& c = model.config;
  out << "model      " << model.dir.string() << " (DeepseekV4ForCausalLM)\n"
      << "shape      vocab " << c.vocabSize << ", hidden " << c.hiddenSize << ", "
      << c.numHiddenLayers << " layers, " << c.numAttentionHeads << " heads x " << c.headDim << ", "
      << c.hcMult << " hc streams\n"
      << "experts    " << c.nRoutedExperts << " routed (top " << c.numExpertsPerTok << ") + "
      << c.nSharedExperts << " shared, " << (c.expertsFp4 ? "FP4" : "FP8") << " routed weights\n"
      << "layers     " << s.layersWindow << " window, " << s.layersCsa << " CSA, " << s.layersHca
      << " HCA; " << s.layersHash << " hash-routed\n"
      << "drafter    " << s.drafterStages << " stage(s), " << drafterKind(c) << "\n"
      << "params     " << humanCount(s.paramsTotal) << " total: backbone "
      << humanCount(s.paramsBackbone) << ", drafter " << humanCount(s.paramsDrafter) << "\n"
      << "active     " << humanCount(s.paramsActiveBackbone) << " per token (drafter "
      << humanCount(s.paramsActiveDrafter) << " per drafted position)\n"
      << "           (logical weights: an FP4 byte holds two, scales none; embed and head once;\n"
      << "            routed experts count top-k of n per layer)\n"
      << "bytes      " << s.tensorCount << " tensors, " << humanBytes(double(s.totalBytes)) << "\n";
  for (const auto& t : s.byDType)
    out << "           " << engine::dtypeName(t.dtype) << ": " << humanBytes(double(t.bytes))
        << " in " << t.tensors << " tensors\n";
  out << "memory     all weights resident: " << humanBytes(double(s.totalBytes)) << "\n"
      << "           GPU-resident non-expert weights: " << humanBytes(double(s.nonExpertBytes))
      << "\n"
      << "           routed experts (host RAM / disk tiers): "
      << humanBytes(double(s.routedExpertBytes)) << ", " << humanBytes(double(s.expertBytes))
      << " per expert\n"
      << "           KV cache (BF16): " << humanBytes(s.kvBytesPerToken) << " per token + "
      << humanBytes(double(s.kvWindowBytes)) << " of window rings per sequence\n";
  const app::MemoryPlan plan =
      app::planMemory(s, std::uint64_t(c.numExpertsPerTok), app::readMemoryInfo());
  out << "plan       on this machine: " << plan.explanation << "\n";
}

// The device block: the plan for the first usable GPU, or why there is none. A hypothetical
// device's plan is never shown: figures for a GPU the machine lacks would read as advice.
struct DevicePlanOrReason {
  std::optional<engine::DeviceMemoryPlan> plan;
  std::string reason;
};

DevicePlanOrReason planDevice(const ParsedArgs& args, const engine::ModelFiles& model) {
  const std::size_t contextTokens = gpuContextTokens(args);  // checked with or without a GPU
  const engine::CudaProbeResult probe = engine::probeCuda();
  if (!probe.usable || probe.devices.empty()) return {std::nullopt, probe.reason};
  const engine::CudaDeviceInfo& device = probe.devices.front();
  engine::DeviceMemoryRequest request;
  request.deviceName = device.name;
  request.totalBytes = device.totalBytes;
  request.freeBytes = device.freeBytes;
  request.contextTokens = contextTokens;
  const engine::ModelWeights weights = engine::bindModelWeights(model);
  return {engine::planDeviceMemory(model.config, weights, request), {}};
}

json devicePlanJson(const DevicePlanOrReason& device) {
  if (!device.plan) return nullptr;
  const engine::DeviceMemoryPlan& p = *device.plan;
  return {{"device_name", p.deviceName},
          {"total_bytes", p.totalBytes},
          {"free_bytes", p.freeBytes},
          {"reserve_bytes", p.reserveBytes},
          {"weight_bytes", p.weightBytes},
          {"cache_bytes", p.cacheBytes},
          {"scratch_bytes", p.scratchBytes},
          {"context_tokens", p.contextTokens},
          {"batch_tokens", p.batchTokens},
          {"expert_bytes", p.expertBytes},
          {"routed_experts", p.routedExperts},
          {"device_experts", p.deviceExperts},
          {"fits", p.fits},
          {"explanation", p.explanation}};
}

void printDevicePlan(const DevicePlanOrReason& device, std::ostream& out) {
  if (!device.plan) {
    out << "device     no GPU plan: " << device.reason << "\n";
    return;
  }
  const engine::DeviceMemoryPlan& p = *device.plan;
  out << "device     " << p.deviceName << ", " << humanBytes(double(p.totalBytes)) << " ("
      << humanBytes(double(p.freeBytes)) << " free): " << p.explanation << "\n"
      << "           weights " << humanBytes(double(p.weightBytes)) << ", KV cache "
      << humanBytes(double(p.cacheBytes)) << " for " << p.contextTokens << " tokens, activations "
      << humanBytes(double(p.scratchBytes)) << " for " << p.batchTokens << " tokens, reserve "
      << humanBytes(double(p.reserveBytes)) << "\n"
      << "           expert slots " << p.deviceExperts << " of " << p.routedExperts << " ("
      << humanBytes(double(p.deviceExperts * p.expertBytes)) << ", "
      << humanBytes(double(p.expertBytes)) << " each)"
      << (p.deviceExperts < p.routedExperts ? "; the rest compute on the CPU\n" : "\n");
}

// --context N: a session fed N tokens, its cache measured by layer kind next to the formula
// Flint's fp32 layout implies and the spec's BF16 figures (deepseek-v4.md §4.10).
struct KvAtContext {
  std::int64_t tokens = 0;
  engine::KvBytes measured, expected;
  engine::KvGrowth specPerToken;  // BF16
  double specWindowBytes = 0;     // BF16
};

KvAtContext measureKv(const ParsedArgs& args, std::int64_t tokens) {
  auto engine = loadEngine(args);
  const ModelConfig& c = engine->config();
  if (tokens < 1 || tokens > c.maxPositionEmbeddings)
    throw UsageError("--context must be between 1 and the model's context of " +
                     std::to_string(c.maxPositionEmbeddings));
  // The cache's size depends on the length only; any ids do.
  std::mt19937 rng(7);
  std::uniform_int_distribution<engine::TokenId> pick(
      0, engine::TokenId(std::min<std::size_t>(engine->tokenizer().idLimit(), c.vocabSize) - 1));
  std::vector<engine::TokenId> ids(static_cast<std::size_t>(tokens));
  for (auto& id : ids) id = pick(rng);
  auto session = engine->newSession();
  session->prefill(ids);
  KvAtContext kv;
  kv.tokens = tokens;
  kv.measured = session->kvBytes();
  kv.expected = engine::expectedKvBytes(c, tokens);
  kv.specPerToken = engine::specKvGrowthBf16(c);
  kv.specWindowBytes = 2.0 * double(c.numHiddenLayers * c.slidingWindow * c.headDim);
  return kv;
}

json kvJson(const KvAtContext& kv) {
  const auto part = [&](std::size_t measured, std::size_t expected, double specPerToken) {
    return json{{"measured_bytes", measured},
                {"formula_bytes", expected},
                {"measured_bytes_per_token", double(measured) / double(kv.tokens)},
                {"spec_bf16_bytes_per_token", specPerToken}};
  };
  return {{"tokens", kv.tokens},
          {"matches_formula", kv.measured == kv.expected},
          {"window",
           {{"measured_bytes", kv.measured.window},
            {"formula_bytes", kv.expected.window},
            {"spec_bf16_bytes", kv.specWindowBytes}}},
          {"compressor_state",
           {{"measured_bytes", kv.measured.compressorState},
            {"formula_bytes", kv.expected.compressorState}}},
          {"csa", part(kv.measured.csa, kv.expected.csa, kv.specPerToken.csa)},
          {"indexer", part(kv.measured.indexer, kv.expected.indexer, kv.specPerToken.indexer)},
          {"hca", part(kv.measured.hca, kv.expected.hca, kv.specPerToken.hca)},
          {"total_measured_bytes", kv.measured.total()}};
}

void printKv(const KvAtContext& kv, const ModelCensus& s, std::ostream& out) {
  out << "kv cache   a session at " << kv.tokens
      << " tokens, measured (fp32 values; the spec's figures assume BF16, half as many bytes):\n";
  char line[200];
  const auto growing = [&](const char* name, std::int64_t layers, std::size_t measured,
                           std::size_t expected, double spec) {
    std::snprintf(
        line, sizeof line,
        "           %-8s %2lld layer(s): %s, %.2f B/token (formula %.2f; spec BF16 %.2f)\n", name,
        static_cast<long long>(layers), humanBytes(double(measured)).c_str(),
        double(measured) / double(kv.tokens), double(expected) / double(kv.tokens), spec);
    out << line;
  };
  std::snprintf(line, sizeof line, "           %-8s %2lld layer(s): %s fixed (spec BF16 %s)\n",
                "window", static_cast<long long>(s.layersWindow + s.layersCsa + s.layersHca),
                humanBytes(double(kv.measured.window)).c_str(),
                humanBytes(kv.specWindowBytes).c_str());
  out << line;
  growing("CSA", s.layersCsa, kv.measured.csa, kv.expected.csa, kv.specPerToken.csa);
  growing("indexer", s.layersCsa, kv.measured.indexer, kv.expected.indexer,
          kv.specPerToken.indexer);
  growing("HCA", s.layersHca, kv.measured.hca, kv.expected.hca, kv.specPerToken.hca);
  out << "           compressor state " << humanBytes(double(kv.measured.compressorState))
      << " fixed; in all " << humanBytes(double(kv.measured.total())) << "\n"
      << "           "
      << (kv.measured == kv.expected ? "every part matches the formula"
                                     : "the measured sizes differ from the formula")
      << "\n";
}

}  // namespace

int runInspect(const ParsedArgs& args, CommandContext& ctx) {
  const auto dir = args.value("model").value_or(app::defaultModelDir().string());
  const engine::ModelFiles model = engine::openModelFiles(dir);
  const ModelCensus census = engine::takeCensus(model.config, model.weights);
  const std::optional<long long> context = args.integer("context");
  const std::optional<KvAtContext> kv =
      context ? std::optional(measureKv(args, *context)) : std::nullopt;
  const DevicePlanOrReason device = planDevice(args, model);
  if (args.has("json")) {
    json j = censusJson(model, census);
    j["device_plan"] = devicePlanJson(device);
    if (kv) j["kv_at_context"] = kvJson(*kv);
    ctx.out << j.dump(2) << "\n";
  } else {
    printCensus(model, census, ctx.out);
    printDevicePlan(device, ctx.out);
    if (kv) printKv(*kv, census, ctx.out);
  }
  return 0;
}

}  // namespace flint::cli
