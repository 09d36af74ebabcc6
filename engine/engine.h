#pragma once
// The engine's public face: load a model folder, open sessions, generate replies that stream
// into a sink. Plain C++ (no Qt); the app's engine thread and flint-cli both use it.
//
//   auto engine = Engine::load(dir, {});
//   auto session = engine->newSession();
//   GenerateRequest req{.messages = {{ChatRole::kUser, "hi", ""}}, .mode = ThinkingMode::kHigh};
//   GenerateResult r = session->generate(req, sink, &cancelFlag);
#include "engine/cache/kv_bytes.h"
#include "engine/experts/eviction_policy.h"
#include "engine/experts/expert_placement.h"
#include "engine/experts/expert_residency.h"
#include "engine/experts/expert_stats.h"
#include "engine/gpu/memory_plan.h"
#include "engine/model/load_progress.h"
#include "engine/model/model_config.h"
#include "engine/model/numerics.h"
#include "engine/sampling/sampler.h"
#include "engine/spec/speculator.h"
#include "engine/tokenizer/prompt_encoder.h"
#include "engine/tokenizer/tokenizer.h"

#include <atomic>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace flint::engine {

// Where the backbone computes. Cpu unless asked: the CUDA forward pass stays opt-in until its
// parity with the CPU is measured on a device (docs/BENCHMARKS.md). Cuda fails the load with a
// sentence when no device is usable; Auto then stays on the CPU and says why in the log.
enum class ComputeDevice { Cpu, Cuda, Auto };

struct LoadOptions {
  Numerics numerics = Numerics::Official;
  ComputeDevice device = ComputeDevice::Cpu;
  // CUDA: the KV cache's capacity in tokens per session (0: the model's limit, at most 64K).
  // Its expert slots take deviceExpertBytes / deviceExpertFraction below when set, else what
  // the device has left after the weights, the cache and the activations.
  std::size_t deviceContextTokens = 0;
  std::size_t threads = 0;   // 0: one per hardware thread
  bool checkFinite = false;  // scan every weight for NaN/Inf at load (reads all of them)
  // Host memory for the routed experts, as bytes or as a fraction of all of them (the larger
  // applies when both are set); the rest are read from the checkpoint when used. Unset: every
  // expert stays mapped. Outputs are bit-identical either way.
  std::size_t hostExpertBytes = 0;
  double hostExpertFraction = 0;
  EvictionPolicy expertPolicy = EvictionPolicy::Frequency;
  // Each layer hands the expert store a guess of the next layer's experts to read while it
  // computes (exact for hash-routed layers). Only bandwidth changes, never outputs.
  bool expertLookAhead = true;
  // The device tier above host RAM, as bytes or a fraction of the routed experts (the larger
  // applies). Without a CUDA expert tier it needs simulatedDeviceBandwidth: a device tier in
  // host memory behind a link of that many bytes per second, its compute modelled as
  // simulatedDeviceSpeedup times the host's (what decides when a batch moves its experts up).
  std::size_t deviceExpertBytes = 0;
  double deviceExpertFraction = 0;
  double simulatedDeviceBandwidth = 0;
  double simulatedDeviceSpeedup = 8;
};

struct GenerateRequest {
  std::vector<ChatMessage> messages;
  ThinkingMode mode = ThinkingMode::kNonThink;
  SamplingParams sampling;
  int maxTokens = 1024;
  // Speculative decoding with the model's DSpark drafter, when it has one: at most this many
  // drafts per verify pass (the drafter's block size caps it); 0 turns it off. Lossless.
  std::size_t maxDrafts = 5;
  // Let the engine's measurements decide how many drafts pay (see DraftScheduler); off drafts
  // maxDrafts on every step (tests and measurements of the drafter itself).
  bool adaptiveDrafts = true;
  // Tokens per prefill pass: progress goes to the sink and `cancel` is checked between passes.
  // Any size gives bit-identical logits (the forward pass is batch invariant).
  std::size_t prefillChunk = 256;
};

// Cumulative figures for one generate() call; a snapshot goes to the sink as they change.
struct Stats {
  std::size_t promptTokens = 0;  // tokens fed this call (after reusing the cached prefix)
  std::size_t reusedTokens = 0;  // prompt tokens the session's cache already held
  double prefillSeconds = 0;
  std::size_t generatedTokens = 0;
  double decodeSeconds = 0;
  std::size_t contextUsed = 0;
  std::size_t contextMax = 0;
  bool speculating = false;  // the drafter runs (the model has one and the request allows it)
  SpecStats spec;
  bool expertTiers = false;  // experts live in tiers (device, host, disk), not all mapped
  ExpertStats experts;       // this call's expert uses, hits and reads
  // Every expert's tier and uses since load: a snapshot shared, not copied, by every Stats that
  // carries it, taken again at most a few times a second (null without expert tiers).
  std::shared_ptr<const ExpertResidency> residency;

  double prefillTokensPerSecond() const {
    return prefillSeconds > 0 ? promptTokens / prefillSeconds : 0;
  }
  double decodeTokensPerSecond() const {
    return decodeSeconds > 0 ? generatedTokens / decodeSeconds : 0;
  }
};

class StreamSink {
 public:
  virtual ~StreamSink() = default;
  virtual void onThinking(std::string_view text) = 0;
  virtual void onAnswer(std::string_view text) = 0;
  virtual void onStats(const Stats& stats) = 0;
  // After each prefill pass: `done` of the `total` tokens this call prefills (the cached prefix
  // is not counted), from (0, total) up to (total, total) unless cancelled.
  virtual void onPrefillProgress(std::size_t /*done*/, std::size_t /*total*/) {}
};

enum class FinishReason { kEndOfSentence, kMaxTokens, kCancelled };

struct GenerateResult {
  FinishReason reason = FinishReason::kEndOfSentence;
  std::string thinking;
  std::string answer;
  std::vector<TokenId> tokens;  // the generated ids, EOS included when it came
  Stats stats;
};

class Session {
 public:
  virtual ~Session() = default;
  // Encodes the conversation, prefills what the cache does not hold yet, and samples until
  // EOS, maxTokens or `cancel` (checked between tokens; the text so far is kept). Throws
  // std::invalid_argument for a prompt longer than the model's context.
  virtual GenerateResult generate(const GenerateRequest& request, StreamSink& sink,
                                  const std::atomic<bool>* cancel = nullptr) = 0;
  // Appends raw ids to the session's cache and returns the last position's logits (valid until
  // the next call). For benchmarks and callers that build their own prompts.
  virtual std::span<const float> feed(std::span<const TokenId> ids) = 0;

  // Forgets the cached conversation.
  virtual void reset() = 0;

  // Appends `ids` to the cache like generate()'s prefill (in passes of `chunk` tokens, progress
  // to `sink`, `cancel` checked between passes, the drafter's context built when the model has
  // one), for saving the state after a prompt's prefix (the documents). Returns how many were
  // prefilled: all of them, or fewer when cancelled; those stay cached and valid either way.
  // Throws std::invalid_argument, prefilling nothing, when they would overflow the context.
  virtual std::size_t prefill(std::span<const TokenId> ids, StreamSink* sink = nullptr,
                              const std::atomic<bool>* cancel = nullptr,
                              std::size_t chunk = GenerateRequest{}.prefillChunk) = 0;
  // The ids the cache holds, in order: generate() reuses them when its prompt starts with them.
  virtual std::span<const TokenId> cachedIds() const = 0;

  // Writes the whole state (cache, cached ids, the drafter's context) to `path` atomically.
  // Throws SessionFileError (engine/cache/session_file.h) when it cannot be written.
  virtual void save(const std::filesystem::path& path) const = 0;
  // Replaces the state with the one saved in `path`, so generate() continues from it exactly as
  // from a fresh prefill of cachedIds(). Throws SessionFileError, leaving the session as it was,
  // for a file that is truncated, corrupt, or from another model, numerics or format version.
  virtual void load(const std::filesystem::path& path) = 0;

  // What the cache holds now, by layer kind.
  virtual KvBytes kvBytes() const = 0;
};

class Engine {
 public:
  virtual ~Engine() = default;
  // Reads config.json, tokenizer.json and the weights' headers, validates every tensor, binds
  // the weights and reads the ones every token uses into memory (weight_warmup.h). Throws
  // ModelError / TokenizerError with a sentence naming the culprit, LoadCancelled when
  // `progress` asks to stop. `progress` hears each stage and the fraction done.
  static std::unique_ptr<Engine> load(const std::filesystem::path& dir, const LoadOptions& options,
                                      const LoadProgress* progress = nullptr);

  virtual const ModelConfig& config() const = 0;
  virtual const Tokenizer& tokenizer() const = 0;
  virtual std::unique_ptr<Session> newSession() = 0;
  virtual Numerics numerics() const = 0;
  // Identifies the weights for saved sessions: config.json, the shards' headers and sizes and a
  // sample of their bytes (engine/cache/model_fingerprint.h). Computed on first use.
  virtual std::uint64_t modelFingerprint() const = 0;

  // Bytes of weights one decoded token reads (what bounds decode speed by memory bandwidth).
  virtual std::size_t weightBytesPerToken() const = 0;

  // The expert store's figures since load; empty when every expert stays mapped.
  virtual std::optional<ExpertStats> expertStats() const = 0;

  // Every routed expert's tier now and its uses since load, for the residency heatmap. Without
  // a host budget every expert is Mapped and uses are not counted (the mapped store is a plain
  // lookup the forward pass calls per expert; it keeps no state). Empty for a model without
  // routed experts. Safe from any thread (the store copies its state under its lock).
  virtual std::optional<ExpertResidency> expertResidency() const = 0;

  // The measured rule for computing a batch's expert on the device tier; empty without one.
  virtual std::optional<ExpertPlacement> expertPlacement() const = 0;

  // Where the backbone computes, in words: "CPU (avx512, 16 threads)" or "CUDA: NVIDIA H200".
  virtual std::string computeDescription() const = 0;
  // The device memory plan when the backbone computes on a GPU.
  virtual std::optional<DeviceMemoryPlan> deviceMemoryPlan() const = 0;

  // Logits of every position of `ids` ([ids.size(), vocab]): one prefill, or one token at a
  // time when `decode` is set.
  virtual std::vector<float> logits(std::span<const TokenId> ids, Numerics numerics,
                                    bool decode) = 0;
};

}  // namespace flint::engine
