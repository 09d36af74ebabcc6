#include "engine/engine.h"

#include "engine/cache/model_fingerprint.h"
#include "engine/cache/session_file.h"
#include "engine/experts/expert_tiers.h"
#include "engine/gpu/cuda_verify_target.h"
#include "engine/gpu/gpu_backbone.h"
#include "engine/logging/log.h"
#include "engine/model/finite_check.h"
#include "engine/model/model_error.h"
#include "engine/model/transformer.h"
#include "engine/model/weight_warmup.h"
#include "engine/tokenizer/reply_splitter.h"
#include "kernels/cpu/cpu_features.h"
#include "kernels/cpu/thread_pool.h"

#include <chrono>
#include <cmath>
#include <mutex>
#include <stdexcept>

namespace flint::engine {
namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void checkLogits(std::span<const float> logits, std::int64_t position) {
  for (float v : logits)
    if (!std::isfinite(v))
      throw std::runtime_error(
          "the model produced a non-finite logit at position " + std::to_string(position) +
          "; its weights may be damaged (flint-cli inspect --check-finite scans them)");
}

class EngineImpl;

class SessionImpl final : public Session {
 public:
  SessionImpl(EngineImpl& engine);
  GenerateResult generate(const GenerateRequest& request, StreamSink& sink,
                          const std::atomic<bool>* cancel) override;
  std::span<const float> feed(std::span<const TokenId> ids) override;
  void reset() override;
  std::size_t prefill(std::span<const TokenId> ids, StreamSink* sink,
                      const std::atomic<bool>* cancel, std::size_t chunk) override;
  std::span<const TokenId> cachedIds() const override { return cached_; }
  void save(const std::filesystem::path& path) const override;
  void load(const std::filesystem::path& path) override;
  KvBytes kvBytes() const override {
    return gpuCache_ ? expectedKvBytes(config(), gpuCache_->length) : measureKvBytes(cache_);
  }

 private:
  // Appends `ids` to the cache, recording the drafter's context when there is a drafter.
  // Feeds ids to the model; with `tap`, also gives their tapped hidden states to the drafter
  // (which costs its main_proj and stage keys per token, so only while speculating).
  void append(std::span<const TokenId> ids, bool tap);
  // append() in passes of `chunk` ids with progress and cancel between them; returns how many
  // were appended.
  std::size_t appendInPasses(std::span<const TokenId> ids, bool tap, std::size_t chunk,
                             StreamSink* sink, const std::atomic<bool>* cancel);
  SessionFileIdentity fileIdentity() const;
  void emit(TokenId id, ReplySplitter& splitter, GenerateResult& result, StreamSink& sink,
            bool& finished);

  const ModelConfig& config() const;
  // Positions a session may hold: the model's limit, or the GPU cache's when smaller.
  std::size_t contextLimit() const;

  EngineImpl& engine_;
  SessionCache cache_;                     // the CPU backbone's
  std::unique_ptr<DeviceCache> gpuCache_;  // the GPU backbone's, instead
  std::vector<TokenId> cached_;            // the ids the cache holds, in order
  std::vector<float> logits_, taps_;
  std::unique_ptr<Speculator> speculator_;  // null without a drafter
  std::unique_ptr<VerifyTarget> verify_;    // the backbone and cache its drafts are checked on
};

class EngineImpl final : public Engine {
 public:
  EngineImpl(ModelFiles files, Tokenizer tokenizer, const LoadOptions& options)
      : options_(options),
        pool_(options.threads),
        tokenizer_(std::move(tokenizer)),
        model_(std::move(files), &pool_),
        encoder_(tokenizer_),
        experts_(model_, hostTiers(options), &pool_),
        gpu_(openGpuBackbone(model_, experts_.store(), options, &pool_, nullptr)) {
    if (gpu_) experts_.setDeviceSlots(&gpu_->model->expertSlots());
  }

  // With the CUDA backbone the device budget sizes its expert slots, not a simulated tier.
  static LoadOptions hostTiers(LoadOptions options) {
    if (options.device == ComputeDevice::Cpu) return options;
    if (options.simulatedDeviceBandwidth > 0)
      throw ModelError(
          "A simulated device tier models a GPU in host memory; it does not combine with the "
          "CUDA backbone.");
    options.deviceExpertBytes = 0;
    options.deviceExpertFraction = 0;
    return options;
  }

  std::string computeDescription() const override {
    if (gpu_) return gpu_->description;
    return std::string("CPU (") + kernels::bestKernelIsa(kernels::cpuFeatures()) + ", " +
           std::to_string(pool_.size()) + " threads)";
  }
  std::optional<DeviceMemoryPlan> deviceMemoryPlan() const override {
    if (!gpu_) return std::nullopt;
    return gpu_->model->plan();
  }
  CudaTransformer* gpu() { return gpu_ ? gpu_->model.get() : nullptr; }
  const CudaOps* cudaOps() const { return gpu_ ? gpu_->ops.get() : nullptr; }

  const ModelConfig& config() const override { return model_.config(); }
  const Tokenizer& tokenizer() const override { return tokenizer_; }
  std::unique_ptr<Session> newSession() override { return std::make_unique<SessionImpl>(*this); }
  Numerics numerics() const override { return options_.numerics; }
  std::uint64_t modelFingerprint() const override {
    std::call_once(fingerprintOnce_,
                   [this] { fingerprint_ = flint::engine::modelFingerprint(model_.files()); });
    return fingerprint_;
  }

  std::size_t weightBytesPerToken() const override { return model_.weightBytesPerToken(); }

  std::optional<ExpertStats> expertStats() const override { return experts_.stats(); }
  std::optional<ExpertResidency> expertResidency() const override { return experts_.residency(); }
  std::optional<ExpertPlacement> expertPlacement() const override { return experts_.placement(); }
  std::shared_ptr<const ExpertResidency> residencySnapshot() { return experts_.snapshot(); }

  std::vector<float> logits(std::span<const TokenId> ids, Numerics numerics, bool decode) override {
    std::vector<float> all, step;
    if (CudaTransformer* gpu = this->gpu()) {
      DeviceCache cache = gpu->newCache();
      if (!decode) {
        gpu->forward(ids, cache, numerics, true, all);
        return all;
      }
      for (std::size_t t = 0; t < ids.size(); ++t) {
        gpu->forward(ids.subspan(t, 1), cache, numerics, false, step);
        all.insert(all.end(), step.begin(), step.end());
      }
      return all;
    }
    SessionCache cache = model_.newCache();
    if (!decode) {
      model_.forward(ids, cache, numerics, true, all);
      return all;
    }
    for (std::size_t t = 0; t < ids.size(); ++t) {
      model_.forward(ids.subspan(t, 1), cache, numerics, false, step);
      all.insert(all.end(), step.begin(), step.end());
    }
    return all;
  }

  Transformer& model() { return model_; }
  kernels::ThreadPool* pool() { return &pool_; }
  DraftScheduler& draftScheduler() { return scheduler_; }
  const PromptEncoder& encoder() const { return encoder_; }

 private:
  LoadOptions options_;
  kernels::ThreadPool pool_;
  Tokenizer tokenizer_;
  Transformer model_;
  PromptEncoder encoder_;
  ExpertTiers experts_;               // after model_: it sets its store on the model
  DraftScheduler scheduler_;          // shared by the sessions: it measures this machine and model
  std::unique_ptr<GpuBackbone> gpu_;  // after experts_: its CPU experts come from there
  mutable std::once_flag fingerprintOnce_;
  mutable std::uint64_t fingerprint_ = 0;
};

SessionImpl::SessionImpl(EngineImpl& engine) : engine_(engine) {
  if (CudaTransformer* gpu = engine.gpu()) {
    gpuCache_ = std::make_unique<DeviceCache>(gpu->newCache());
    verify_ = std::make_unique<CudaVerifyTarget>(*gpu, *gpuCache_, *engine.cudaOps());
  } else {
    cache_ = engine.model().newCache();
    verify_ = std::make_unique<CpuVerifyTarget>(engine.model(), cache_);
  }
  if (engine.model().config().dspark)
    speculator_ = std::make_unique<Speculator>(engine.model(), engine.numerics(), engine.pool(),
                                               &engine.draftScheduler());
}

const ModelConfig& SessionImpl::config() const {
  return engine_.config();
}

std::size_t SessionImpl::contextLimit() const {
  const auto limit = std::size_t(config().maxPositionEmbeddings);
  return gpuCache_ ? std::min(limit, gpuCache_->contextTokens()) : limit;
}

void SessionImpl::append(std::span<const TokenId> ids, bool tap) {
  tap = tap && speculator_;
  if (gpuCache_)
    engine_.gpu()->forward(ids, *gpuCache_, engine_.numerics(), false, logits_,
                           tap ? &taps_ : nullptr);
  else
    engine_.model().forward(ids, cache_, engine_.numerics(), false, logits_,
                            tap ? &taps_ : nullptr);
  if (tap)
    speculator_->commit(taps_, ids.size());
  else if (speculator_)
    speculator_->skip(ids.size());
  cached_.insert(cached_.end(), ids.begin(), ids.end());
}

std::size_t SessionImpl::appendInPasses(std::span<const TokenId> ids, bool tap, std::size_t chunk,
                                        StreamSink* sink, const std::atomic<bool>* cancel) {
  chunk = std::max<std::size_t>(chunk, 1);
  if (sink) sink->onPrefillProgress(0, ids.size());
  std::size_t done = 0;
  while (done < ids.size()) {
    if (done > 0 && cancel && cancel->load()) break;
    const std::size_t n = std::min(chunk, ids.size() - done);
    append(ids.subspan(done, n), tap);
    done += n;
    if (sink) sink->onPrefillProgress(done, ids.size());
  }
  return done;
}

std::size_t SessionImpl::prefill(std::span<const TokenId> ids, StreamSink* sink,
                                 const std::atomic<bool>* cancel, std::size_t chunk) {
  if (ids.empty()) return 0;
  const std::size_t limit = contextLimit();
  if (cached_.size() + ids.size() > limit)  // before any pass, so nothing is half done
    throw std::invalid_argument("the session would hold " +
                                std::to_string(cached_.size() + ids.size()) +
                                " tokens; this model's context holds " + std::to_string(limit));
  // Tapped like generate()'s prefill, so a saved prefix has the drafter's context a fresh
  // prompt would have built.
  return appendInPasses(ids, true, chunk, sink, cancel);
}

SessionFileIdentity SessionImpl::fileIdentity() const {
  SessionFileIdentity identity;
  identity.model = engine_.modelFingerprint();
  identity.numerics = engine_.numerics();
  return identity;
}

void SessionImpl::save(const std::filesystem::path& path) const {
  const std::optional<Speculator::State> drafter =
      speculator_ ? std::optional(speculator_->state()) : std::nullopt;
  writeSessionFile(path, fileIdentity(), cached_, gpuCache_ ? gpuCache_->download() : cache_,
                   drafter ? &*drafter : nullptr);
}

void SessionImpl::load(const std::filesystem::path& path) {
  SessionState state =
      readSessionFile(path, fileIdentity(), engine_.model().newCache(), speculator_ != nullptr);
  if (speculator_) {
    try {
      speculator_->restore(std::move(*state.drafter));
    } catch (const std::invalid_argument& e) {
      throw SessionFileError("the session file " + path.string() +
                             " does not fit this model's drafter: " + e.what());
    }
  }
  if (gpuCache_)
    gpuCache_->upload(state.cache);
  else
    cache_ = std::move(state.cache);
  cached_ = std::move(state.ids);
  logits_.clear();  // feed() and generate() compute them again
}

std::span<const float> SessionImpl::feed(std::span<const TokenId> ids) {
  append(ids, false);
  return logits_;
}

void SessionImpl::reset() {
  if (gpuCache_)
    gpuCache_->clear();
  else
    cache_ = engine_.model().newCache();
  cached_.clear();
  if (speculator_) speculator_->reset();
}

void SessionImpl::emit(TokenId id, ReplySplitter& splitter, GenerateResult& result,
                       StreamSink& sink, bool& finished) {
  result.tokens.push_back(id);
  ++result.stats.generatedTokens;
  const ReplyDelta delta = splitter.push(id);
  result.thinking += delta.thinking;
  result.answer += delta.answer;
  if (!delta.thinking.empty()) sink.onThinking(delta.thinking);
  if (!delta.answer.empty()) sink.onAnswer(delta.answer);
  finished = delta.finished;
}

GenerateResult SessionImpl::generate(const GenerateRequest& request, StreamSink& sink,
                                     const std::atomic<bool>* cancel) {
  Transformer& model = engine_.model();
  const ModelConfig& config = model.config();
  Sampler sampler(request.sampling);
  const EncodedPrompt prompt = engine_.encoder().encode(request.messages, request.mode);
  const std::size_t limit = contextLimit();
  if (prompt.ids.size() >= limit)
    throw std::invalid_argument("the prompt is " + std::to_string(prompt.ids.size()) +
                                " tokens; this model's context holds " + std::to_string(limit));

  // Keep the cache when the new prompt extends what it holds (the next turn of the same chat).
  const bool extends = cached_.size() <= prompt.ids.size() &&
                       std::equal(cached_.begin(), cached_.end(), prompt.ids.begin());
  if (!extends || cached_.size() == prompt.ids.size()) reset();

  GenerateResult result;
  Stats& stats = result.stats;
  const std::optional<ExpertStats> expertsBefore = engine_.expertStats();
  stats.expertTiers = expertsBefore.has_value();
  const auto publish = [&] {
    if (expertsBefore) {
      stats.experts = engine_.expertStats()->since(*expertsBefore);
      stats.residency = engine_.residencySnapshot();
    }
    sink.onStats(stats);
  };
  stats.contextMax = limit;
  stats.reusedTokens = cached_.size();
  const std::span<const TokenId> fresh =
      std::span<const TokenId>(prompt.ids).subspan(cached_.size());
  stats.promptTokens = fresh.size();

  const auto prefillStart = Clock::now();
  const std::size_t prefilled =
      appendInPasses(fresh, request.maxDrafts > 0, request.prefillChunk, &sink, cancel);
  stats.prefillSeconds = secondsSince(prefillStart);
  stats.contextUsed = cached_.size();
  stats.speculating = speculator_ && request.maxDrafts > 0;
  if (prefilled < fresh.size()) {
    // Cancelled between passes: what was prefilled stays cached, so asking again continues.
    stats.promptTokens = prefilled;
    result.reason = FinishReason::kCancelled;
    publish();
    return result;
  }
  publish();

  ReplySplitter splitter(engine_.tokenizer(), request.mode);
  const std::size_t known = std::min(logits_.size(), engine_.tokenizer().idLimit());
  const TokenId eos = TokenId(config.eosTokenId);
  const auto decodeStart = Clock::now();
  result.reason = FinishReason::kMaxTokens;
  // Rows past the tokenizer's ids pad the embedding; they are never valid tokens.
  checkLogits(logits_, std::int64_t(cached_.size()) - 1);
  TokenId next = sampler.sample(std::span<const float>(logits_).first(known));
  bool finished = false;
  while (stats.generatedTokens < std::size_t(request.maxTokens)) {
    if (cancel && cancel->load()) {
      result.reason = FinishReason::kCancelled;
      break;
    }
    emit(next, splitter, result, sink, finished);
    const std::size_t left = std::size_t(request.maxTokens) - stats.generatedTokens;
    if (finished) {
      // EOS closes the turn: cache it so the next turn, which repeats it, reuses everything.
      if (cached_.size() < limit) append(std::span<const TokenId>(&next, 1), stats.speculating);
      result.reason = FinishReason::kEndOfSentence;
      break;
    }
    if (cached_.size() + 1 >= limit) break;
    if (left == 0) {  // the last token still goes into the cache, for the next turn to reuse
      append(std::span<const TokenId>(&next, 1), stats.speculating);
      break;
    }
    if (stats.speculating) {
      // The anchor and the drafts must fit the context, the drafts the token budget.
      const std::size_t room = std::min(left, limit - cached_.size() - 1);
      const Speculator::Step step =
          speculator_->step(*verify_, next, std::min(request.maxDrafts, room),
                            request.adaptiveDrafts, sampler, known, eos, stats.spec);
      cached_.push_back(next);
      for (TokenId draft : step.accepted) {
        cached_.push_back(draft);
        emit(draft, splitter, result, sink, finished);
        if (finished) break;
      }
      if (finished) {
        result.reason = FinishReason::kEndOfSentence;
        break;
      }
      next = step.next;
    } else {
      append(std::span<const TokenId>(&next, 1), false);
      checkLogits(logits_, std::int64_t(cached_.size()) - 1);
      next = sampler.sample(std::span<const float>(logits_).first(known));
    }
    stats.decodeSeconds = secondsSince(decodeStart);
    stats.contextUsed = cached_.size();
    publish();
  }
  if (result.reason != FinishReason::kEndOfSentence) {
    const ReplyDelta tail = splitter.finish();
    result.thinking += tail.thinking;
    result.answer += tail.answer;
    if (!tail.thinking.empty()) sink.onThinking(tail.thinking);
    if (!tail.answer.empty()) sink.onAnswer(tail.answer);
  }
  stats.decodeSeconds = secondsSince(decodeStart);
  stats.contextUsed = cached_.size();
  publish();
  return result;
}

}  // namespace

std::unique_ptr<Engine> Engine::load(const std::filesystem::path& dir, const LoadOptions& options,
                                     const LoadProgress* progress) {
  auto log = log::logger("engine");
  const auto start = Clock::now();
  LoadProgressMeter meter(progress);
  // Shares of the bar: headers are quick; reading weights is the long part (a scan for NaN
  // reads everything once more).
  meter.stage("Reading the checkpoint's headers", 0.02);
  ModelFiles files = openModelFiles(dir);
  Tokenizer tokenizer = Tokenizer::fromModelDir(dir);
  if (tokenizer.idLimit() > std::size_t(files.config.vocabSize))
    throw ModelError("tokenizer.json in " + dir.string() + " has ids up to " +
                     std::to_string(tokenizer.idLimit() - 1) + " but the model's vocab_size is " +
                     std::to_string(files.config.vocabSize));
  if (options.checkFinite) {
    meter.stage("Checking the weights for NaN and infinity", 0.5);
    checkWeightsFinite(files.weights, &meter);
  }
  meter.stage("Reading the weights into memory", 0.97);
  const std::uint64_t warmed = warmWeights(files.weights, meter);
  meter.stage("Preparing the expert store", 1.0);
  auto engine = std::make_unique<EngineImpl>(std::move(files), std::move(tokenizer), options);
  meter.advance(1, 1);
  log->info("loaded {} in {:.2f} s ({:.1f} MiB of weights read into memory)", dir.string(),
            secondsSince(start), double(warmed) / double(1 << 20));
  return engine;
}

}  // namespace flint::engine
