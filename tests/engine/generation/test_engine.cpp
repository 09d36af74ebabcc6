// The engine's public face on generated checkpoints: decode and prefill agree token for
// token, seeds reproduce, cancel and limits stop, and bad input is one clear error.
#include "engine/engine.h"
#include "engine/model/model_error.h"
#include "tests/engine/model/checkpoint_surgery.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <fstream>

namespace flint::engine {
namespace {

using testing::generatedCheckpoint;
using testing::ScratchCheckpoint;

std::unique_ptr<Engine> load(const std::filesystem::path& dir, Numerics numerics = Numerics::Fp32) {
  LoadOptions options;
  options.numerics = numerics;
  options.threads = 2;
  return Engine::load(dir, options);
}

class CollectingSink : public StreamSink {
 public:
  void onThinking(std::string_view t) override { thinking += t; }
  void onAnswer(std::string_view t) override { answer += t; }
  void onStats(const Stats& s) override {
    last = s;
    ++snapshots;
  }
  std::string thinking, answer;
  Stats last;
  int snapshots = 0;
};

TEST(Engine, GreedyDecodeEqualsPrefillForSixtyFourTokens) {
  for (const char* name : {"tiny_sharded", "small_dspark"}) {
    auto engine = load(generatedCheckpoint(name));
    const std::size_t vocab = std::size_t(engine->config().vocabSize);
    std::vector<TokenId> ids = {0, 5, 17, 42, 7};
    auto session = engine->newSession();
    std::span<const float> logits = session->feed(ids);
    const std::size_t prompt = ids.size();
    for (int i = 0; i < 64; ++i) {
      ids.push_back(argmax(logits));
      logits = session->feed(std::span(&ids.back(), 1));
    }
    // One prefill over prompt + generated must pick the same token at every step.
    const std::vector<float> all = engine->logits(ids, Numerics::Fp32, false);
    for (std::size_t t = prompt - 1; t + 1 < ids.size(); ++t) {
      const std::span<const float> row(all.data() + t * vocab, vocab);
      const TokenId best = argmax(row);
      if (best != ids[t + 1]) {
        // Only a genuine tie may differ: the two logits must be equal to float precision.
        EXPECT_NEAR(row[std::size_t(best)], row[std::size_t(ids[t + 1])], 1e-5f)
            << name << " step " << t;
      }
    }
  }
}

TEST(Engine, LogitsByDecodeMatchPrefill) {
  auto engine = load(generatedCheckpoint("small_mtp"));
  const std::vector<TokenId> ids = {0, 9, 3, 3, 8, 100, 2, 7, 7, 31, 64, 5, 5, 1, 0, 200, 17, 42};
  const auto prefill = engine->logits(ids, Numerics::Fp32, false);
  const auto decode = engine->logits(ids, Numerics::Fp32, true);
  ASSERT_EQ(prefill.size(), decode.size());
  double diff = 0, norm = 0;
  for (std::size_t i = 0; i < prefill.size(); ++i) {
    diff += double(prefill[i] - decode[i]) * (prefill[i] - decode[i]);
    norm += double(prefill[i]) * prefill[i];
  }
  EXPECT_LE(std::sqrt(diff / norm), 1e-5);
}

GenerateRequest chatRequest(std::uint64_t seed, int maxTokens = 24) {
  GenerateRequest r;
  r.messages = {{ChatRole::kUser, "hello there", ""}};
  r.mode = ThinkingMode::kHigh;
  r.sampling.temperature = 1.0f;
  r.sampling.seed = seed;
  r.maxTokens = maxTokens;
  return r;
}

TEST(Engine, SameSeedSameReplyOtherSeedOtherReply) {
  auto engine = load(generatedCheckpoint("tiny_sharded"));
  CollectingSink sink;
  const auto a = engine->newSession()->generate(chatRequest(7), sink);
  const auto b = engine->newSession()->generate(chatRequest(7), sink);
  const auto c = engine->newSession()->generate(chatRequest(8), sink);
  EXPECT_EQ(a.tokens, b.tokens);
  EXPECT_NE(a.tokens, c.tokens);
  EXPECT_FALSE(a.tokens.empty());
}

TEST(Engine, GenerateStreamsWhatItReturnsAndCountsTokens) {
  auto engine = load(generatedCheckpoint("tiny_sharded"));
  CollectingSink sink;
  const auto r = engine->newSession()->generate(chatRequest(3, 16), sink);
  EXPECT_EQ(sink.thinking, r.thinking);
  EXPECT_EQ(sink.answer, r.answer);
  EXPECT_EQ(r.stats.generatedTokens, r.tokens.size());
  EXPECT_LE(r.tokens.size(), 16u);
  if (r.reason == FinishReason::kMaxTokens) {
    EXPECT_EQ(r.tokens.size(), 16u);
  }
  EXPECT_GT(sink.snapshots, 1);
  EXPECT_EQ(sink.last.contextUsed, r.stats.contextUsed);
  for (TokenId id : r.tokens)
    EXPECT_LT(std::size_t(id), engine->tokenizer().idLimit()) << "padding rows are never sampled";
}

TEST(Engine, NextTurnReusesTheCachedConversation) {
  auto engine = load(generatedCheckpoint("tiny_sharded"));
  auto session = engine->newSession();
  CollectingSink sink;
  // maxTokens 0 prefills only (what a document's prefix cache will do).
  GenerateRequest first = chatRequest(1, 0);
  first.mode = ThinkingMode::kNonThink;
  const auto r1 = session->generate(first, sink);
  EXPECT_TRUE(r1.tokens.empty());
  EXPECT_EQ(r1.reason, FinishReason::kMaxTokens);
  // The next turn's prompt starts with everything the cache holds: only the rest is fed.
  GenerateRequest second = first;
  second.maxTokens = 4;
  second.messages.push_back({ChatRole::kAssistant, "", ""});
  second.messages.push_back({ChatRole::kUser, "and then?", ""});
  const auto r2 = session->generate(second, sink);
  EXPECT_EQ(r2.stats.reusedTokens, r1.stats.promptTokens);
  EXPECT_EQ(r2.stats.reusedTokens + r2.stats.promptTokens + r2.tokens.size(), r2.stats.contextUsed);
  // The same prompt again (regenerate) holds nothing new: it starts over.
  const auto r3 = engine->newSession()->generate(second, sink);
  EXPECT_EQ(r3.stats.reusedTokens, 0u);
  // Reused or not, the first sampled token is the same: the cache holds the same state.
  EXPECT_EQ(r2.tokens.front(), r3.tokens.front());
}

TEST(Engine, CancelStopsBetweenTokensAndKeepsTheText) {
  auto engine = load(generatedCheckpoint("tiny_sharded"));
  std::atomic<bool> cancel{false};
  class CancellingSink : public CollectingSink {
   public:
    explicit CancellingSink(std::atomic<bool>& flag) : flag_(flag) {}
    void onStats(const Stats& s) override {
      CollectingSink::onStats(s);
      if (s.generatedTokens >= 3) flag_.store(true);
    }
    std::atomic<bool>& flag_;
  } sink(cancel);
  const auto r = engine->newSession()->generate(chatRequest(5, 100), sink, &cancel);
  if (r.reason != FinishReason::kEndOfSentence) {
    EXPECT_EQ(r.reason, FinishReason::kCancelled);
    EXPECT_EQ(r.tokens.size(), 3u);
  }
}

TEST(Engine, RejectsIdsOutsideTheVocabularyAndTooLongPrompts) {
  auto engine = load(generatedCheckpoint("tiny_sharded"));
  const std::vector<TokenId> bad = {0, 1, 100000};
  try {
    engine->logits(bad, Numerics::Fp32, false);
    FAIL() << "an out-of-vocabulary id was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("token id 100000 is outside the vocabulary"),
              std::string::npos)
        << e.what();
  }
  GenerateRequest huge = chatRequest(1);
  huge.messages[0].content.assign(std::size_t(engine->config().maxPositionEmbeddings) * 2, 'a');
  CollectingSink sink;
  EXPECT_THROW(engine->newSession()->generate(huge, sink), std::invalid_argument);
}

TEST(Engine, NanWeightsAreFoundWhenAskedFor) {
  ScratchCheckpoint ckpt("tiny_single");
  // Put a bf16 NaN into the final norm's weight.
  const auto file = ckpt.shardOf("norm.weight");
  std::uint64_t offset = 0;
  ckpt.editHeader(file, [&](nlohmann::json& h) {
    offset = h["norm.weight"]["data_offsets"][0].get<std::uint64_t>();
  });
  std::uint64_t headerLength = 0;
  {
    std::ifstream in(file, std::ios::binary);
    in.read(reinterpret_cast<char*>(&headerLength), 8);
  }
  {
    std::fstream io(file, std::ios::binary | std::ios::in | std::ios::out);
    io.seekp(std::streamoff(8 + headerLength + offset));
    const unsigned char nan[2] = {0xc0, 0x7f};
    io.write(reinterpret_cast<const char*>(nan), 2);
  }
  EXPECT_NO_THROW(load(ckpt.dir())) << "without the scan, loading reads no weights";
  LoadOptions options;
  options.checkFinite = true;
  try {
    Engine::load(ckpt.dir(), options);
    FAIL() << "the NaN went unnoticed";
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("norm.weight"), std::string::npos) << e.what();
  }
  // Running it anyway: the NaN reaches the logits and generate says so in words.
  auto engine = load(ckpt.dir());
  CollectingSink sink;
  try {
    engine->newSession()->generate(chatRequest(1), sink);
    FAIL() << "a NaN logit was sampled";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("non-finite logit"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace flint::engine
