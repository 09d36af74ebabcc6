// Speculative decoding is lossless: greedy output is token for token the same with and
// without the drafter, and after every verify pass the cache equals, tensor by tensor, the one
// plain decoding of the kept tokens builds.
#include "engine/cache/cache_rollback.h"
#include "engine/engine.h"
#include "engine/model/model_files.h"
#include "engine/model/transformer.h"
#include "engine/spec/speculator.h"
#include "engine/tokenizer/prompt_encoder.h"
#include "engine/tokenizer/tokenizer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>

namespace flint::engine {
namespace {

const std::filesystem::path kCheckpoints = FLINT_TEST_CHECKPOINTS_DIR;
const std::filesystem::path kFlintTiny =
    std::filesystem::path(FLINT_SOURCE_DIR) / "resources/models/flint-tiny";

// Keeps every stats snapshot the engine streams, to check they come live, step by step.
class StatsSink : public StreamSink {
 public:
  void onThinking(std::string_view) override {}
  void onAnswer(std::string_view) override {}
  void onStats(const Stats& s) override {
    steps.push_back(s.spec.steps + s.spec.plainSteps);
    recent.push_back(s.spec.recent.steps + s.spec.recent.plainSteps);
  }
  std::vector<std::size_t> steps, recent;
};

void expectCachesEqual(const SessionCache& a, const SessionCache& b, const std::string& where) {
  ASSERT_EQ(a.length, b.length) << where;
  ASSERT_EQ(a.layers.size(), b.layers.size());
  for (std::size_t l = 0; l < a.layers.size(); ++l) {
    const LayerCache &x = a.layers[l], &y = b.layers[l];
    EXPECT_EQ(x.window, y.window) << where << " layer " << l << " window ring";
    EXPECT_EQ(x.compressor.kv, y.compressor.kv) << where << " layer " << l << " compressor kv";
    EXPECT_EQ(x.compressor.gate, y.compressor.gate) << where << " layer " << l << " gate";
    EXPECT_EQ(x.compressor.entries, y.compressor.entries) << where << " layer " << l << " entries";
    EXPECT_EQ(x.indexer.kv, y.indexer.kv) << where << " layer " << l << " indexer kv";
    EXPECT_EQ(x.indexer.gate, y.indexer.gate) << where << " layer " << l << " indexer gate";
    EXPECT_EQ(x.indexer.entries, y.indexer.entries) << where << " layer " << l << " indexer keys";
  }
}

// Greedy replies with speculation off, drafting 5 on every step, and with the engine's scheduler
// choosing the length: all three token for token the same. Returns the always-drafting figures.
SpecCounters expectGreedyIdentical(const std::filesystem::path& dir, Numerics numerics,
                                   double minAcceptance) {
  LoadOptions options;
  options.numerics = numerics;
  options.threads = 2;
  auto engine = Engine::load(dir, options);
  const char* prompts[] = {"What is 47+38?", "Hi", "Sort these numbers: 5, 3, 9.",
                           "Read the text and answer.\n\nAda has 3 pens.\n\nHow many pens?"};
  SpecCounters always, scheduled;
  for (const char* prompt : prompts)
    for (ThinkingMode mode : {ThinkingMode::kNonThink, ThinkingMode::kHigh}) {
      GenerateRequest request;
      request.messages = {{ChatRole::kUser, prompt, ""}};
      request.mode = mode;
      request.sampling.temperature = 0;
      request.maxTokens = 96;
      StatsSink sink;
      request.maxDrafts = 0;
      const GenerateResult plain = engine->newSession()->generate(request, sink);
      EXPECT_FALSE(plain.stats.speculating);
      for (bool adaptive : {false, true}) {
        request.maxDrafts = 5;
        request.adaptiveDrafts = adaptive;  // off: draft on every step, whatever it costs
        StatsSink live;
        const GenerateResult spec = engine->newSession()->generate(request, live);
        EXPECT_TRUE(spec.stats.speculating);
        EXPECT_EQ(spec.tokens, plain.tokens)
            << dir << " prompt " << prompt << " adaptive " << adaptive;
        EXPECT_EQ(spec.answer, plain.answer);
        (adaptive ? scheduled : always) += spec.stats.spec;
        // Live: one snapshot per step, counting up; the window never holds more than its size.
        const std::size_t steps = spec.stats.spec.steps + spec.stats.spec.plainSteps;
        EXPECT_TRUE(std::is_sorted(live.steps.begin(), live.steps.end()));
        EXPECT_GE(std::size_t(std::count_if(live.steps.begin(), live.steps.end(),
                                            [&](std::size_t n) { return n > 0 && n < steps; })),
                  steps > 1 ? steps - 1 : 0)
            << "every step but the last must reach the sink before the reply ends";
        for (std::size_t n : live.recent) EXPECT_LE(n, SpecStats::kWindow);
      }
    }
  EXPECT_GT(always.steps, 0u);
  EXPECT_GE(always.acceptanceRate(), minAcceptance) << dir;
  EXPECT_GT(scheduled.steps + scheduled.plainSteps, 0u);
  return always;
}

TEST(Speculation, GreedyOutputIsIdenticalOnARandomDrafter) {
  // Random weights: the drafter is poor, so nearly every draft is rejected and rolled back.
  for (Numerics numerics : {Numerics::Fp32, Numerics::Official})
    expectGreedyIdentical(kCheckpoints / "small_dspark", numerics, 0.0);
}

TEST(Speculation, GreedyOutputIsIdenticalWhereDrafterAndTargetAgree) {
  // tools/checkpoint/alphabet.py: both write the alphabet, so nearly every draft is accepted and
  // whole blocks are kept.
  const SpecCounters c =
      expectGreedyIdentical(kCheckpoints / "small_alphabet", Numerics::Official, 0.99);
  EXPECT_GT(c.meanAcceptedLength(), 5.5);

  // Sampling at temperature 1 too: the target is sure of the next letter and so is the drafter.
  auto engine = Engine::load(kCheckpoints / "small_alphabet", {});
  GenerateRequest request;
  request.messages = {{ChatRole::kUser, "Say the alphabet.", ""}};
  request.maxTokens = 60;
  request.adaptiveDrafts = false;
  StatsSink sink;
  const GenerateResult r = engine->newSession()->generate(request, sink);
  EXPECT_EQ(r.answer, "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefgh");
  EXPECT_GT(r.stats.spec.acceptanceRate(), 0.99);
}

// Speculation off for a turn (no taps are computed, the drafter's rings skip those positions),
// then on for the next turn of the same session: still the plain session's tokens.
TEST(Speculation, TurningSpeculationOnMidConversationStaysLossless) {
  for (const auto& dir : {kFlintTiny, kCheckpoints / "small_alphabet"}) {
    auto engine = Engine::load(dir, {});
    auto plain = engine->newSession(), mixed = engine->newSession();
    GenerateRequest request;
    request.messages = {{ChatRole::kUser, "What is 12+30?", ""}};
    request.sampling.temperature = 0;
    request.maxTokens = 40;
    request.maxDrafts = 0;
    StatsSink sink;
    const GenerateResult first = plain->generate(request, sink);
    EXPECT_EQ(mixed->generate(request, sink).tokens, first.tokens);
    request.messages.push_back({ChatRole::kAssistant, first.answer, first.thinking});
    request.messages.push_back({ChatRole::kUser, "And 5+5?", ""});
    const GenerateResult second = plain->generate(request, sink);
    request.maxDrafts = 5;
    request.adaptiveDrafts = false;
    const GenerateResult drafted = mixed->generate(request, sink);
    EXPECT_EQ(drafted.tokens, second.tokens) << dir;
    EXPECT_GT(drafted.stats.spec.steps, 0u);
    EXPECT_GT(drafted.stats.spec.acceptedTokens, 0u) << dir;
  }
}

TEST(Speculation, GreedyOutputIsIdenticalOnFlintTiny) {
  // A trained drafter: most drafts are accepted, so long accepted runs are checked too.
  expectGreedyIdentical(kFlintTiny, Numerics::Official, 0.3);
}

TEST(Speculation, CacheAfterEachStepEqualsPlainDecoding) {
  for (const auto& dir : {kCheckpoints / "small_dspark", kFlintTiny}) {
    kernels::ThreadPool pool(2);
    Transformer target(openModelFiles(dir), &pool);
    Speculator speculator(target, Numerics::Official, &pool, nullptr);
    SamplingParams greedy;
    greedy.temperature = 0;
    Sampler sampler(greedy);
    SessionCache cache = target.newCache();
    std::vector<float> logits, taps;
    std::vector<std::int32_t> ids = {0, 5, 9, 17, 33, 65, 129, 200};
    target.forward(ids, cache, Numerics::Official, false, logits, &taps);
    speculator.commit(taps, ids.size());
    SpecStats stats;
    TokenId next = argmax(logits);
    const std::size_t idLimit = std::size_t(target.config().vocabSize);
    for (int s = 0; s < 30; ++s) {
      const auto step = speculator.step(cache, next, 5, false, sampler, idLimit, -1, stats);
      ids.push_back(next);
      ids.insert(ids.end(), step.accepted.begin(), step.accepted.end());
      next = step.next;
      SessionCache plain = target.newCache();
      for (std::int32_t id : ids)
        target.forward(std::span<const std::int32_t>(&id, 1), plain, Numerics::Official, false,
                       logits);
      expectCachesEqual(cache, plain, dir.filename().string() + " step " + std::to_string(s));
      EXPECT_EQ(next, argmax(logits)) << "the next token is plain decoding's";
      if (testing::Test::HasFailure()) return;
    }
  }
}

// Chi-square critical value for `df` degrees of freedom at false-alarm rate 1e-4
// (Wilson-Hilferty; z = 3.719 is the normal quantile of 1 - 1e-4).
double chiSquareCritical(std::size_t df) {
  const double k = double(df), z = 3.719;
  const double t = 1 - 2 / (9 * k) + z * std::sqrt(2 / (9 * k));
  return k * t * t * t;
}

// Sampling is unchanged by speculation: the token after the anchor (an accepted draft, or the
// target's draw from the residual max(p - q, 0)) follows plain sampling's distribution. The
// plain distribution is computed exactly, p(t2) = sum over t1 of p(t1) p(t2 | t1); 1,500 seeded
// speculative samples are tested against it with a chi-square at a 1e-4 false-alarm rate. On
// flint-tiny, whose trained drafter is accepted often but not always, so both the acceptance
// and the residual draw are exercised.
TEST(Speculation, SamplingDistributionIsUnchanged) {
  kernels::ThreadPool pool(2);
  Transformer target(openModelFiles(kFlintTiny), &pool);
  const std::size_t vocab = std::size_t(target.config().vocabSize);
  SamplingParams params;
  // Hot and narrow: a trained model is sure of itself at temperature 1, which would leave the
  // residual draw almost no mass to get wrong; top-3 keeps the cells few and full.
  params.temperature = 2.5f;
  params.topK = 3;
  const Tokenizer tokenizer = Tokenizer::fromModelDir(kFlintTiny);
  const std::vector<ChatMessage> question = {{ChatRole::kUser, "Hi", ""}};
  const std::vector<std::int32_t> prompt =
      PromptEncoder(tokenizer).encode(question, ThinkingMode::kHigh).ids;
  SessionCache prefilled = target.newCache();
  std::vector<float> logits, taps, p1, p2;
  target.forward(prompt, prefilled, Numerics::Fp32, false, logits, &taps);
  const std::vector<float> firstTaps = taps;
  Sampler exact(params);
  exact.distribution(logits, p1);
  std::vector<double> expected(vocab, 0.0);
  for (std::size_t t1 = 0; t1 < vocab; ++t1) {
    if (p1[t1] == 0) continue;
    SessionCache cache = prefilled;
    const std::int32_t id = std::int32_t(t1);
    std::vector<float> next;
    target.forward(std::span<const std::int32_t>(&id, 1), cache, Numerics::Fp32, false, next);
    exact.distribution(next, p2);
    for (std::size_t t2 = 0; t2 < vocab; ++t2) expected[t2] += double(p1[t1]) * p2[t2];
  }

  Speculator speculator(target, Numerics::Fp32, &pool, nullptr);
  const int samples = 1500;
  std::vector<double> observed(vocab, 0.0);
  SpecStats stats;
  for (int i = 0; i < samples; ++i) {
    params.seed = std::uint64_t(i) + 1;
    Sampler sampler(params);
    SessionCache cache = prefilled;
    speculator.reset();
    speculator.commit(firstTaps, prompt.size());
    const TokenId anchor = sampler.sample(logits);
    // One draft is enough: only the token right after the anchor is tested.
    const auto step = speculator.step(cache, anchor, 1, false, sampler, vocab, -1, stats);
    observed[std::size_t(step.accepted.empty() ? step.next : step.accepted.front())] += 1;
  }
  double chi2 = 0;
  std::size_t cells = 0;
  for (std::size_t t = 0; t < vocab; ++t) {
    if (expected[t] == 0) {
      EXPECT_EQ(observed[t], 0) << "token " << t << " has no probability under plain sampling";
      continue;
    }
    const double e = expected[t] * samples;
    chi2 += (observed[t] - e) * (observed[t] - e) / e;
    ++cells;
  }
  EXPECT_GT(stats.acceptedTokens, 0u) << "some drafts must be accepted for the test to bite";
  EXPECT_LT(stats.acceptedTokens, stats.steps) << "and some rejected";
  EXPECT_LT(chi2, chiSquareCritical(cells - 1)) << cells << " cells";
  std::printf("chi-square %.2f over %zu cells (critical %.2f at 1e-4)\n", chi2, cells,
              chiSquareCritical(cells - 1));
}

}  // namespace
}  // namespace flint::engine
