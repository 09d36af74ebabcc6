// Prefill in passes on flint-tiny: progress climbs to the total, cancel stops between passes
// with what was prefilled still valid, and the pass size never changes the reply.
#include "engine/engine.h"
#include "tests/engine/cache/session_test_support.h"

#include <gtest/gtest.h>

namespace flint::engine {
namespace {

using testing::CollectingSink;
using testing::documentQuestion;
using testing::tinyEngine;

TEST(PrefillProgress, ClimbsMonotonicallyToTheTotal) {
  Engine& engine = tinyEngine();
  GenerateRequest request = documentQuestion("Which colour is the lantern in room 12?");
  request.prefillChunk = 100;
  request.maxTokens = 2;
  CollectingSink sink;
  const GenerateResult r = engine.newSession()->generate(request, sink);
  const std::size_t total = r.stats.promptTokens;
  ASSERT_GT(total, 300u);
  ASSERT_EQ(sink.progress.size(), 1 + (total + 99) / 100);  // (0, total), then one per pass
  EXPECT_EQ(sink.progress.front(), std::make_pair(std::size_t(0), total));
  EXPECT_EQ(sink.progress.back(), std::make_pair(total, total));
  for (std::size_t i = 1; i < sink.progress.size(); ++i) {
    EXPECT_EQ(sink.progress[i].second, total);
    EXPECT_GT(sink.progress[i].first, sink.progress[i - 1].first);
  }
}

TEST(PrefillProgress, CancelStopsBetweenPassesAndKeepsWhatWasPrefilled) {
  Engine& engine = tinyEngine();
  GenerateRequest request = documentQuestion("Which colour is the lantern in room 12?");
  request.prefillChunk = 128;
  std::atomic<bool> cancel{false};
  class CancellingSink : public CollectingSink {
   public:
    explicit CancellingSink(std::atomic<bool>& flag) : flag_(flag) {}
    void onPrefillProgress(std::size_t done, std::size_t total) override {
      CollectingSink::onPrefillProgress(done, total);
      if (done >= 256) flag_.store(true);
    }
    std::atomic<bool>& flag_;
  } sink(cancel);
  auto session = engine.newSession();
  const GenerateResult stopped = session->generate(request, sink, &cancel);
  EXPECT_EQ(stopped.reason, FinishReason::kCancelled);
  EXPECT_TRUE(stopped.tokens.empty());
  EXPECT_EQ(stopped.stats.promptTokens, 256u);
  EXPECT_EQ(session->cachedIds().size(), 256u);
  EXPECT_EQ(sink.progress.back().first, 256u);

  // Asking again continues from the 256 cached tokens and replies as a fresh session does.
  cancel = false;
  CollectingSink quiet;
  const GenerateResult resumed = session->generate(request, quiet, &cancel);
  const GenerateResult fresh = engine.newSession()->generate(request, quiet);
  EXPECT_EQ(resumed.stats.reusedTokens, 256u);
  EXPECT_EQ(resumed.tokens, fresh.tokens);
  ASSERT_FALSE(fresh.tokens.empty());
}

TEST(PrefillProgress, SessionPrefillReportsAndCancelsToo) {
  Engine& engine = tinyEngine();
  const std::vector<TokenId> ids(700, 42);
  std::atomic<bool> cancel{true};  // set before the call: one pass runs, then it stops
  CollectingSink sink;
  auto session = engine.newSession();
  EXPECT_EQ(session->prefill(ids, &sink, &cancel, 300), 300u);
  EXPECT_EQ(session->cachedIds().size(), 300u);
  cancel = false;
  EXPECT_EQ(session->prefill(std::span(ids).subspan(300), &sink, &cancel, 300), 400u);
  EXPECT_EQ(session->cachedIds().size(), 700u);
  EXPECT_EQ(sink.progress.back(), std::make_pair(std::size_t(400), std::size_t(400)));

  const std::vector<TokenId> tooMany(std::size_t(engine.config().maxPositionEmbeddings), 42);
  EXPECT_THROW(session->prefill(tooMany, &sink), std::invalid_argument);
  EXPECT_EQ(session->cachedIds().size(), 700u);
}

TEST(PrefillProgress, ThePassSizeNeverChangesTheReply) {
  Engine& engine = tinyEngine();
  std::vector<TokenId> reference;
  for (std::size_t chunk : {std::size_t(4096), std::size_t(256), std::size_t(37), std::size_t(1)}) {
    SCOPED_TRACE(chunk);
    GenerateRequest request = documentQuestion("Which colour is the lantern in room 12?", 20, 16);
    request.prefillChunk = chunk;
    CollectingSink sink;
    const GenerateResult r = engine.newSession()->generate(request, sink);
    if (reference.empty())
      reference = r.tokens;
    else
      EXPECT_EQ(r.tokens, reference);
  }
  EXPECT_FALSE(reference.empty());
}

}  // namespace
}  // namespace flint::engine
