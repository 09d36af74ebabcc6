// Routing a streamed reply into thinking and answer, token by token.
#include "engine/tokenizer/reply_splitter.h"
#include "tests/engine/tokenizer/tiny_tokenizer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace flint::engine {
namespace {

struct Collected {
  std::string thinking;
  std::string answer;
  bool finished = false;
};

// Pushes `ids` one at a time and gathers the deltas.
Collected feed(ReplySplitter& splitter, const std::vector<TokenId>& ids) {
  Collected c;
  for (TokenId id : ids) {
    const ReplyDelta d = splitter.push(id);
    c.thinking += d.thinking;
    c.answer += d.answer;
    c.finished = c.finished || d.finished;
  }
  return c;
}

std::vector<TokenId> bytesOf(std::string_view text) {
  std::vector<TokenId> ids;
  for (char ch : text) ids.push_back(6 + static_cast<unsigned char>(ch));
  return ids;
}

std::vector<TokenId> concat(std::initializer_list<std::vector<TokenId>> parts) {
  std::vector<TokenId> ids;
  for (const auto& p : parts) ids.insert(ids.end(), p.begin(), p.end());
  return ids;
}

constexpr TokenId kEos = 1;
constexpr TokenId kThinkClose = 5;

TEST(ReplySplitter, RoutesTextAroundTheThinkTagToken) {
  const Tokenizer tok = testing::tinyTokenizer();
  ReplySplitter splitter(tok, ThinkingMode::kHigh);
  const Collected c =
      feed(splitter, concat({bytesOf("let me see"), {kThinkClose}, bytesOf("It is 4."), {kEos}}));
  EXPECT_EQ(c.thinking, "let me see");
  EXPECT_EQ(c.answer, "It is 4.");
  EXPECT_TRUE(c.finished);
}

TEST(ReplySplitter, FindsTheTagSpelledAcrossTokens) {
  const Tokenizer tok = testing::tinyTokenizer();
  ReplySplitter splitter(tok, ThinkingMode::kMax);
  // Each byte is a token, so "</think>" arrives in eight pieces; "</thin" + "g" is not it.
  const Collected c = feed(splitter, bytesOf("a </thing> b</think>answer"));
  EXPECT_EQ(c.thinking, "a </thing> b");
  EXPECT_EQ(c.answer, "answer");
  EXPECT_FALSE(c.finished);
}

TEST(ReplySplitter, HoldsAPartialTagOnlyUntilItIsDecided) {
  const Tokenizer tok = testing::tinyTokenizer();
  ReplySplitter splitter(tok, ThinkingMode::kHigh);
  ReplyDelta d = splitter.push(6 + 'x');
  EXPECT_EQ(d.thinking, "x");
  for (char ch : std::string("</th")) EXPECT_EQ(splitter.push(6 + ch).thinking, "");
  d = splitter.finish();  // the stream stopped: the held text was thinking after all
  EXPECT_EQ(d.thinking, "</th");
  EXPECT_TRUE(d.finished);
}

TEST(ReplySplitter, NonThinkIsAllAnswer) {
  const Tokenizer tok = testing::tinyTokenizer();
  ReplySplitter splitter(tok, ThinkingMode::kNonThink);
  const Collected c = feed(splitter, concat({bytesOf("a"), {kThinkClose}, bytesOf("b"), {kEos}}));
  EXPECT_EQ(c.thinking, "");
  EXPECT_EQ(c.answer, "a</think>b");
}

TEST(ReplySplitter, StopsAtEos) {
  const Tokenizer tok = testing::tinyTokenizer();
  ReplySplitter splitter(tok, ThinkingMode::kNonThink);
  const Collected c = feed(splitter, concat({bytesOf("done"), {kEos}, bytesOf("ignored")}));
  EXPECT_EQ(c.answer, "done");
  EXPECT_TRUE(c.finished);
}

TEST(ReplySplitter, FlushesAHeldBackCharacterAtEos) {
  const Tokenizer tok = testing::tinyTokenizer();
  ReplySplitter splitter(tok, ThinkingMode::kNonThink);
  const Collected c = feed(splitter, concat({bytesOf("ok\xE2\x82"), {kEos}}));
  EXPECT_EQ(c.answer, "ok\xEF\xBF\xBD");
}

}  // namespace
}  // namespace flint::engine
