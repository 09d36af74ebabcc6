// The DeepSeek pre-tokenizer: each hand-written matcher against what its regex does.
#include "engine/tokenizer/pre_tokenizer.h"
#include "engine/tokenizer/tokenizer_error.h"
#include "tests/engine/tokenizer/tiny_tokenizer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace flint::engine {
namespace {

std::vector<std::string> piecesOf(std::string_view text) {
  static const PreTokenizer pre = PreTokenizer::fromJson(testing::deepSeekPreTokenizerJson());
  std::vector<std::string_view> pieces;
  pre.split(text, pieces);
  return {pieces.begin(), pieces.end()};
}

using Pieces = std::vector<std::string>;

TEST(PreTokenizer, SplitsWordsPunctuationAndLeadingSpaces) {
  EXPECT_EQ(piecesOf("Hello, world!"), (Pieces{"Hello", ",", " world", "!"}));
  EXPECT_EQ(piecesOf("don't stop"), (Pieces{"don", "'t", " stop"}));
  EXPECT_EQ(piecesOf("a.b_c"), (Pieces{"a", ".b", "_c"}));
  EXPECT_EQ(piecesOf("x = (y);"), (Pieces{"x", " =", " (", "y", ");"}));
}

TEST(PreTokenizer, GroupsDigitsByThreeFromTheLeft) {
  EXPECT_EQ(piecesOf("1234567"), (Pieces{"123", "456", "7"}));
  EXPECT_EQ(piecesOf("v12ab"), (Pieces{"v", "12", "ab"}));
  EXPECT_EQ(piecesOf("\u0661\u0662\u0663\u0664"), (Pieces{"\u0661\u0662\u0663", "\u0664"}));
}

TEST(PreTokenizer, KeepsCjkRunsApartFromOtherLetters) {
  EXPECT_EQ(piecesOf("\u4F60\u597D\u4E16\u754Cabc"), (Pieces{"\u4F60\u597D\u4E16\u754C", "abc"}));
  // The katakana middle dot is inside the CJK range but is punctuation to the third pattern.
  EXPECT_EQ(piecesOf("\u30A2\u30FB\u30A4"), (Pieces{"\u30A2", "\u30FB", "\u30A4"}));
  // Hangul is outside the range: an ordinary word with its leading space.
  EXPECT_EQ(piecesOf("\uD55C \uAD6D"), (Pieces{"\uD55C", " \uAD6D"}));
}

TEST(PreTokenizer, CutsWhitespaceRunsAsTheRegexDoes) {
  // \s+(?!\S): all but the last space; the last one prefixes the word.
  EXPECT_EQ(piecesOf("a   b"), (Pieces{"a", "  ", " b"}));
  // \s*[\r\n]+ takes the run up to its last line break.
  EXPECT_EQ(piecesOf("a \n\n  b"), (Pieces{"a", " \n\n", " ", " b"}));
  EXPECT_EQ(piecesOf("a\r\n"), (Pieces{"a", "\r\n"}));
  // Trailing whitespace stays whole; a lone tab before punctuation is its own piece.
  EXPECT_EQ(piecesOf("a  "), (Pieces{"a", "  "}));
  EXPECT_EQ(piecesOf("\t!"), (Pieces{"\t", "!"}));
  // Punctuation swallows the line breaks after it.
  EXPECT_EQ(piecesOf("end.\n\nNext"), (Pieces{"end", ".\n\n", "Next"}));
}

TEST(PreTokenizer, AttachesMarksAndOtherPrefixesToWords) {
  EXPECT_EQ(piecesOf("e\u0301t\u00E9"), (Pieces{"e\u0301t\u00E9"}));
  EXPECT_EQ(piecesOf("\u0301x"), (Pieces{"\u0301x"}));
  EXPECT_EQ(piecesOf("\u3000word"), (Pieces{"\u3000word"}));
  EXPECT_EQ(piecesOf("\u00A0\u00A0x"), (Pieces{"\u00A0", "\u00A0x"}));
}

TEST(PreTokenizer, CoversTheWholeInput) {
  const std::string text = "mixed \xF0\x9F\x98\x80 text\t\t123.45\n\u4E2D\u6587 \u0416";
  std::string joined;
  for (const auto& piece : piecesOf(text)) joined += piece;
  EXPECT_EQ(joined, text);
}

TEST(PreTokenizer, RejectsPatternsItHasNoMatcherFor) {
  nlohmann::json section = testing::deepSeekPreTokenizerJson();
  section["pretokenizers"][0]["pattern"]["Regex"] = "\\p{N}+";
  EXPECT_THROW(PreTokenizer::fromJson(section), TokenizerError);
  section = testing::deepSeekPreTokenizerJson();
  section["pretokenizers"][3]["use_regex"] = true;
  EXPECT_THROW(PreTokenizer::fromJson(section), TokenizerError);
  EXPECT_THROW(PreTokenizer::fromJson({{"type", "Whitespace"}}), TokenizerError);
}

}  // namespace
}  // namespace flint::engine
