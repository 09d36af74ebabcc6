// Follow-ups over the same documents on flint-tiny: the first question prefills the documents'
// part and saves it; the second, in a new session, resumes it from the cache and reads only
// the question; both answers equal the answers of fresh sessions without any cache (greedy).
#include "app/documents/document_prefix.h"
#include "app/paths.h"
#include "engine/tokenizer/prompt_encoder.h"

#include <gtest/gtest.h>

#include <random>

namespace flint::documents {
namespace {

namespace fs = std::filesystem;

struct NullSink final : engine::StreamSink {
  void onThinking(std::string_view) override {}
  void onAnswer(std::string_view) override {}
  void onStats(const engine::Stats&) override {}
};

engine::GenerateRequest ask(const std::string& documents, const std::string& question) {
  engine::GenerateRequest r;
  r.messages = {{engine::ChatRole::kUser, documents + question, ""}};
  r.sampling.temperature = 0;
  r.maxTokens = 24;
  return r;
}

TEST(DocumentPrefix, AFollowUpResumesTheDocumentsAndAnswersAsAFreshSession) {
  const auto engine = engine::Engine::load(app::defaultModelDir(), {});
  const fs::path folder =
      fs::temp_directory_path() / ("flint-prefix-" + std::to_string(std::random_device{}()));
  PrefixCache cache(folder, std::uint64_t(1) << 30, *engine);
  std::string documents = "<document title=\"notes.txt\">\n";
  for (int i = 0; i < 30; ++i)
    documents += "Entry " + std::to_string(i) + ": Ada keeps " + std::to_string(i + 3) +
                 " apples in box " + std::to_string(i) + ".\n";
  documents += "</document>\n\n";
  const std::string first = "How many apples are in box 4?";
  const std::string second = "Who keeps the apples?";

  NullSink sink;
  std::vector<std::string> fresh;
  for (const auto& q : {first, second}) {
    auto session = engine->newSession();
    fresh.push_back(session->generate(ask(documents, q), sink).answer);
  }

  auto s1 = engine->newSession();
  const PrefixReuse a = readyDocumentPrefix(*engine, *s1, cache, ask(documents, first), first);
  EXPECT_EQ(a.restoredTokens, 0u);
  ASSERT_GT(a.prefilledTokens, 100u);
  EXPECT_EQ(cache.files(), 1u);
  const auto r1 = s1->generate(ask(documents, first), sink);
  EXPECT_EQ(r1.stats.reusedTokens, a.prefilledTokens);
  // Counted in the reply's figures, the documents were read by this reply.
  EXPECT_EQ(a.counted(r1.stats).promptTokens, r1.stats.promptTokens + a.prefilledTokens);
  EXPECT_EQ(a.counted(r1.stats).reusedTokens, 0u);
  EXPECT_GT(a.counted(r1.stats).prefillSeconds, r1.stats.prefillSeconds);
  EXPECT_EQ(r1.answer, fresh[0]);

  auto s2 = engine->newSession();
  const PrefixReuse b = readyDocumentPrefix(*engine, *s2, cache, ask(documents, second), second);
  EXPECT_EQ(b.restoredTokens, a.prefilledTokens);
  EXPECT_EQ(b.prefilledTokens, 0u);
  const auto r2 = s2->generate(ask(documents, second), sink);
  EXPECT_EQ(r2.stats.reusedTokens, a.prefilledTokens);
  const engine::PromptEncoder encoder(engine->tokenizer());
  const auto total = encoder.encode(ask(documents, second).messages, {}).ids.size();
  EXPECT_EQ(r2.stats.promptTokens, total - a.prefilledTokens);  // the question only
  EXPECT_EQ(r2.answer, fresh[1]);

  // Other documents share nothing: a miss, prefilled and saved beside the first.
  auto s3 = engine->newSession();
  const PrefixReuse c =
      readyDocumentPrefix(*engine, *s3, cache, ask("x" + documents, second), second);
  EXPECT_EQ(c.restoredTokens, 0u);
  EXPECT_GT(c.prefilledTokens, 0u);
  EXPECT_EQ(cache.files(), 2u);
  fs::remove_all(folder);
}

TEST(DocumentPrefix, ACancelledPrefillSavesNothing) {
  const auto engine = engine::Engine::load(app::defaultModelDir(), {});
  const fs::path folder =
      fs::temp_directory_path() / ("flint-prefix-" + std::to_string(std::random_device{}()));
  PrefixCache cache(folder, std::uint64_t(1) << 30, *engine);
  std::string documents;
  for (int i = 0; i < 60; ++i) documents += "Line " + std::to_string(i) + " of the report.\n";
  std::atomic<bool> cancel{true};
  auto session = engine->newSession();
  const PrefixReuse r = readyDocumentPrefix(*engine, *session, cache, ask(documents, "Why?"),
                                            "Why?", nullptr, &cancel);
  EXPECT_TRUE(r.cancelled);
  EXPECT_EQ(cache.files(), 0u);
  fs::remove_all(folder);
}

}  // namespace
}  // namespace flint::documents
