#pragma once
// What the CUDA backbone's tests share: the checkpoints by name, random prompts, load options
// for either device, and a greedy reply.
#include "engine/engine.h"
#include "engine/gpu/cuda_transformer.h"
#include "tests/engine/model/checkpoint_surgery.h"

#include <filesystem>
#include <ostream>
#include <random>
#include <string>
#include <vector>

namespace flint::engine::testing {

// flint-tiny from resources/, else a checkpoint the build generated.
inline std::filesystem::path modelDir(const std::string& name) {
  if (name == "flint-tiny")
    return std::filesystem::path(FLINT_SOURCE_DIR) / "resources/models/flint-tiny";
  return generatedCheckpoint(name);
}

inline std::vector<TokenId> randomIds(std::size_t n, std::int64_t vocab, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<TokenId> pick(0, TokenId(vocab - 1));
  std::vector<TokenId> ids(n);
  for (TokenId& id : ids) id = pick(rng);
  return ids;
}

inline LoadOptions backboneOptions(ComputeDevice device, Numerics numerics) {
  LoadOptions o;
  o.device = device;
  o.numerics = numerics;
  o.threads = 2;
  o.deviceContextTokens = 1024;
  return o;
}

// A checkpoint in one numerics, as the parameter of a parity test.
struct BackboneCase {
  std::string checkpoint;
  Numerics numerics;
};

inline void PrintTo(const BackboneCase& c, std::ostream* os) {
  *os << c.checkpoint << (c.numerics == Numerics::Fp32 ? " fp32" : " official");
}

class QuietSink final : public StreamSink {
 public:
  void onThinking(std::string_view) override {}
  void onAnswer(std::string_view) override {}
  void onStats(const Stats&) override {}
};

// A greedy reply to `question`, with at most `drafts` drafts per verify pass (0: plain).
inline GenerateResult greedyReply(Engine& engine, const std::string& question, std::size_t drafts,
                                  int maxTokens) {
  auto session = engine.newSession();
  GenerateRequest request;
  request.messages = {{ChatRole::kUser, question, ""}};
  request.maxTokens = maxTokens;
  request.maxDrafts = drafts;
  request.adaptiveDrafts = false;
  request.sampling.temperature = 0;
  QuietSink sink;
  return session->generate(request, sink, nullptr);
}

// A CUDA backbone over `cpu`'s weights, its experts all resident, for a 512-token context.
inline std::unique_ptr<CudaTransformer> cudaBackbone(const CudaOps& ops, const Transformer& cpu,
                                                     ExpertStore& below) {
  DeviceMemoryRequest request;
  request.deviceName = "the test device";
  request.totalBytes = request.freeBytes = 4ull << 30;
  request.contextTokens = 512;
  return std::make_unique<CudaTransformer>(
      ops, cpu, below, planDeviceMemory(cpu.config(), cpu.weights(), request), nullptr);
}

// Logits of decoding `ids` one token at a time from an empty cache.
inline std::vector<float> decodeOnGpu(CudaTransformer& gpu, std::span<const std::int32_t> ids,
                                      Numerics numerics) {
  DeviceCache cache = gpu.newCache();
  std::vector<float> all, step;
  for (std::size_t t = 0; t < ids.size(); ++t) {
    gpu.forward(ids.subspan(t, 1), cache, numerics, false, step);
    all.insert(all.end(), step.begin(), step.end());
  }
  return all;
}

}  // namespace flint::engine::testing
