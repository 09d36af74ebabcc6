#include "engine/engine.h"

#include "engine/logging/log.h"
#include "engine/model/finite_check.h"
#include "engine/model/model_error.h"
#include "engine/model/transformer.h"
#include "engine/tokenizer/reply_splitter.h"
#include "kernels/cpu/thread_pool.h"

#include <chrono>
#include <cmath>
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

 private:
  EngineImpl& engine_;
  SessionCache cache_;
  std::vector<TokenId> cached_;  // the ids the cache holds, in order
  std::vector<float> logits_;
};

class EngineImpl final : public Engine {
 public:
  EngineImpl(ModelFiles files, Tokenizer tokenizer, const LoadOptions& options)
      : options_(options),
        pool_(options.threads),
        tokenizer_(std::move(tokenizer)),
        model_(std::move(files), &pool_),
        encoder_(tokenizer_) {}

  const ModelConfig& config() const override { return model_.config(); }
  const Tokenizer& tokenizer() const override { return tokenizer_; }
  std::unique_ptr<Session> newSession() override { return std::make_unique<SessionImpl>(*this); }

  std::size_t weightBytesPerToken() const override { return model_.weightBytesPerToken(); }

  std::vector<float> logits(std::span<const TokenId> ids, Numerics numerics, bool decode) override {
    SessionCache cache = model_.newCache();
    std::vector<float> all, step;
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
  const PromptEncoder& encoder() const { return encoder_; }
  Numerics numerics() const { return options_.numerics; }

 private:
  LoadOptions options_;
  kernels::ThreadPool pool_;
  Tokenizer tokenizer_;
  Transformer model_;
  PromptEncoder encoder_;
};

SessionImpl::SessionImpl(EngineImpl& engine) : engine_(engine), cache_(engine.model().newCache()) {}

std::span<const float> SessionImpl::feed(std::span<const TokenId> ids) {
  engine_.model().forward(ids, cache_, engine_.numerics(), false, logits_);
  cached_.insert(cached_.end(), ids.begin(), ids.end());
  return logits_;
}

void SessionImpl::reset() {
  cache_ = engine_.model().newCache();
  cached_.clear();
}

GenerateResult SessionImpl::generate(const GenerateRequest& request, StreamSink& sink,
                                     const std::atomic<bool>* cancel) {
  Transformer& model = engine_.model();
  const ModelConfig& config = model.config();
  Sampler sampler(request.sampling);
  const EncodedPrompt prompt = engine_.encoder().encode(request.messages, request.mode);
  const std::size_t limit = std::size_t(config.maxPositionEmbeddings);
  if (prompt.ids.size() >= limit)
    throw std::invalid_argument("the prompt is " + std::to_string(prompt.ids.size()) +
                                " tokens; this model's context holds " + std::to_string(limit));

  // Keep the cache when the new prompt extends what it holds (the next turn of the same chat).
  const bool extends = cached_.size() <= prompt.ids.size() &&
                       std::equal(cached_.begin(), cached_.end(), prompt.ids.begin());
  if (!extends || cached_.size() == prompt.ids.size()) reset();

  GenerateResult result;
  Stats& stats = result.stats;
  stats.contextMax = limit;
  stats.reusedTokens = cached_.size();
  const std::span<const TokenId> fresh =
      std::span<const TokenId>(prompt.ids).subspan(cached_.size());
  stats.promptTokens = fresh.size();

  const auto prefillStart = Clock::now();
  model.forward(fresh, cache_, engine_.numerics(), false, logits_);
  cached_.insert(cached_.end(), fresh.begin(), fresh.end());
  stats.prefillSeconds = secondsSince(prefillStart);
  stats.contextUsed = cached_.size();
  sink.onStats(stats);

  ReplySplitter splitter(engine_.tokenizer(), request.mode);
  const auto decodeStart = Clock::now();
  result.reason = FinishReason::kMaxTokens;
  for (int i = 0; i < request.maxTokens; ++i) {
    if (cancel && cancel->load()) {
      result.reason = FinishReason::kCancelled;
      break;
    }
    checkLogits(logits_, std::int64_t(cached_.size()) - 1);
    // Rows past the tokenizer's ids pad the embedding; they are never valid tokens.
    const std::size_t known = std::min(logits_.size(), engine_.tokenizer().idLimit());
    const TokenId next = sampler.sample(std::span<const float>(logits_).first(known));
    result.tokens.push_back(next);
    ++stats.generatedTokens;
    const ReplyDelta delta = splitter.push(next);
    result.thinking += delta.thinking;
    result.answer += delta.answer;
    if (!delta.thinking.empty()) sink.onThinking(delta.thinking);
    if (!delta.answer.empty()) sink.onAnswer(delta.answer);
    if (delta.finished) {
      result.reason = FinishReason::kEndOfSentence;
      // EOS closes the turn: cache it so the next turn, which repeats it, reuses everything.
      if (cached_.size() < limit) {
        model.forward(std::span<const TokenId>(&next, 1), cache_, engine_.numerics(), false,
                      logits_);
        cached_.push_back(next);
      }
      break;
    }
    if (cached_.size() + 1 >= limit) break;
    model.forward(std::span<const TokenId>(&next, 1), cache_, engine_.numerics(), false, logits_);
    cached_.push_back(next);
    stats.decodeSeconds = secondsSince(decodeStart);
    stats.contextUsed = cached_.size();
    sink.onStats(stats);
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
  sink.onStats(stats);
  return result;
}

}  // namespace

std::unique_ptr<Engine> Engine::load(const std::filesystem::path& dir, const LoadOptions& options) {
  auto log = log::logger("engine");
  const auto start = Clock::now();
  ModelFiles files = openModelFiles(dir);
  Tokenizer tokenizer = Tokenizer::fromModelDir(dir);
  if (tokenizer.idLimit() > std::size_t(files.config.vocabSize))
    throw ModelError("tokenizer.json in " + dir.string() + " has ids up to " +
                     std::to_string(tokenizer.idLimit() - 1) + " but the model's vocab_size is " +
                     std::to_string(files.config.vocabSize));
  if (options.checkFinite) checkWeightsFinite(files.weights);
  auto engine = std::make_unique<EngineImpl>(std::move(files), std::move(tokenizer), options);
  log->info("loaded {} in {:.2f} s", dir.string(), secondsSince(start));
  return engine;
}

}  // namespace flint::engine
