// The prefix cache on flint-tiny: it restores the longest saved prefix of a prompt and the
// resumed answer equals a fresh one; it evicts the least recently used file at its limit,
// remembers that order across restarts, and deletes (never trusts) a damaged file.
#include "app/documents/prefix_cache.h"
#include "tests/engine/cache/session_test_support.h"

#include <gtest/gtest.h>

#include <fstream>
#include <thread>

namespace flint::documents {
namespace {

using engine::TokenId;
using engine::testing::CollectingSink;
using engine::testing::documentPrefix;
using engine::testing::documentQuestion;
using engine::testing::ScratchDir;
using engine::testing::tinyEngine;
namespace fs = std::filesystem;

std::vector<TokenId> promptIds(const engine::GenerateRequest& request) {
  return engine::PromptEncoder(tinyEngine().tokenizer()).encode(request.messages, request.mode).ids;
}

// Saves a session holding `ids` and waits a little, so modification times order the saves.
void storeIds(PrefixCache& cache, const std::vector<TokenId>& ids) {
  auto session = tinyEngine().newSession();
  session->prefill(ids);
  cache.store(*session);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

bool hits(PrefixCache& cache, std::vector<TokenId> prefix) {
  prefix.push_back(5);  // a prompt one token longer than the prefix
  auto session = tinyEngine().newSession();
  const bool hit = cache.restore(*session, prefix) == prefix.size() - 1;
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  return hit;
}

std::vector<TokenId> ids(TokenId first, std::size_t count) {
  std::vector<TokenId> v(count);
  for (std::size_t i = 0; i < count; ++i) v[i] = TokenId((first + TokenId(i) * 13) % 1000);
  return v;
}

std::uint64_t fileSize(const std::vector<TokenId>& prefix) {
  const ScratchDir dir;
  PrefixCache cache(dir.path(), std::uint64_t(1) << 30, tinyEngine());
  storeIds(cache, prefix);
  return cache.bytes();
}

TEST(PrefixCache, RestoresTheLongestSavedPrefixAndAnswersAsAFreshPrefill) {
  engine::Engine& engine = tinyEngine();
  const ScratchDir dir;
  PrefixCache cache(dir.path(), std::uint64_t(1) << 30, engine);
  const std::vector<TokenId> prefix = documentPrefix(engine);
  storeIds(cache, std::vector<TokenId>(prefix.begin(), prefix.begin() + 40));
  storeIds(cache, prefix);
  EXPECT_EQ(cache.files(), 2u);

  const engine::GenerateRequest request =
      documentQuestion("Which colour is the lantern in room 12?");
  const std::vector<TokenId> prompt = promptIds(request);
  auto session = engine.newSession();
  EXPECT_EQ(cache.restore(*session, prompt), prefix.size());
  CollectingSink sink;
  const engine::GenerateResult resumed = session->generate(request, sink);
  const engine::GenerateResult fresh = engine.newSession()->generate(request, sink);
  EXPECT_EQ(resumed.stats.reusedTokens, prefix.size());
  EXPECT_EQ(resumed.tokens, fresh.tokens);
  ASSERT_FALSE(fresh.tokens.empty());

  // A shorter document shares the first records, so the 40-token prefix, not the longer one.
  auto other = engine.newSession();
  EXPECT_EQ(cache.restore(*other, promptIds(documentQuestion("Which room?", 10))), 40u);
  // The prompt equal to a saved prefix leaves no token to generate from: the shorter one.
  auto exact = engine.newSession();
  EXPECT_EQ(cache.restore(*exact, prefix), 40u);
}

TEST(PrefixCache, EvictsTheLeastRecentlyUsedFileAtItsLimit) {
  const std::vector<TokenId> a = ids(1, 30), b = ids(2, 30), c = ids(3, 30);
  const std::uint64_t size = fileSize(a);
  const ScratchDir dir;
  PrefixCache cache(dir.path(), size * 5 / 2, tinyEngine());  // room for two
  storeIds(cache, a);
  storeIds(cache, b);
  EXPECT_TRUE(hits(cache, a));  // a is now the more recently used
  storeIds(cache, c);
  EXPECT_EQ(cache.files(), 2u);
  EXPECT_LE(cache.bytes(), size * 5 / 2);
  EXPECT_TRUE(hits(cache, a));
  EXPECT_FALSE(hits(cache, b));
  EXPECT_TRUE(hits(cache, c));
}

TEST(PrefixCache, SurvivesARestartWithItsOrder) {
  const std::vector<TokenId> a = ids(4, 30), b = ids(5, 30), c = ids(6, 30);
  const std::uint64_t size = fileSize(a);
  const ScratchDir dir;
  {
    PrefixCache cache(dir.path(), size * 5 / 2, tinyEngine());
    storeIds(cache, a);
    storeIds(cache, b);
    EXPECT_TRUE(hits(cache, a));
  }
  PrefixCache restarted(dir.path(), size * 5 / 2, tinyEngine());
  EXPECT_EQ(restarted.files(), 2u);
  storeIds(restarted, c);
  EXPECT_TRUE(hits(restarted, a));
  EXPECT_FALSE(hits(restarted, b));
  EXPECT_TRUE(hits(restarted, c));
}

TEST(PrefixCache, ADamagedFileIsDeletedReportedAsAMissAndRebuilt) {
  const std::vector<TokenId> a = ids(7, 30);
  const ScratchDir dir;
  PrefixCache cache(dir.path(), std::uint64_t(1) << 30, tinyEngine());
  storeIds(cache, a);
  const fs::path file = cache.pathFor(a);
  ASSERT_TRUE(fs::exists(file));
  {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(std::streamoff(fs::file_size(file) / 2));
    f.put('\x5a');
  }
  auto session = tinyEngine().newSession();
  session->prefill(std::vector<TokenId>{0, 1, 2});
  std::vector<TokenId> prompt = a;
  prompt.push_back(5);
  EXPECT_EQ(cache.restore(*session, prompt), std::nullopt);
  EXPECT_FALSE(fs::exists(file));
  EXPECT_EQ(session->cachedIds().size(), 3u);  // untouched by the refused file

  storeIds(cache, a);
  EXPECT_TRUE(hits(cache, a));
}

TEST(PrefixCache, RemovesACrashsOldTemporaryFilesOnly) {
  const ScratchDir dir;
  const fs::path old = dir.path() / "0123456789abcdef-5.flintsession.tmp-1-0";
  const fs::path recent = dir.path() / "0123456789abcdef-6.flintsession.tmp-1-1";
  std::ofstream(old) << "x";
  std::ofstream(recent) << "x";
  fs::last_write_time(old, fs::file_time_type::clock::now() - std::chrono::hours(2));
  const PrefixCache cache(dir.path(), 1000, tinyEngine());
  EXPECT_FALSE(fs::exists(old));
  EXPECT_TRUE(fs::exists(recent));
  EXPECT_EQ(cache.files(), 0u);
}

}  // namespace
}  // namespace flint::documents
