// Byte-level BPE on the tiny tokenizer.json: merges, added tokens, the special-token switch,
// and one clear error for each kind of bad input.
#include "engine/tokenizer/tokenizer.h"
#include "tests/engine/tokenizer/tiny_tokenizer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace flint::engine {
namespace {

using Ids = std::vector<TokenId>;

// Ids of the tiny vocabulary: bytes start at 6; merged tokens follow in merge order.
constexpr TokenId kByte0 = 6;
constexpr TokenId kHello = 265;
constexpr TokenId kSpaceWorld = 269;

TokenId byteId(char c) {
  return kByte0 + static_cast<unsigned char>(c);
}

TEST(Tokenizer, AppliesMergesByRank) {
  const Tokenizer tok = testing::tinyTokenizer();
  EXPECT_EQ(tok.encode("hello world", SpecialTokens::kMatch), (Ids{kHello, kSpaceWorld}));
  // "ld" is merged (rank 8) before " wor"+"ld" (rank 7) can apply.
  EXPECT_EQ(tok.encode(" world", SpecialTokens::kMatch), (Ids{kSpaceWorld}));
  EXPECT_EQ(tok.encode("hi", SpecialTokens::kMatch), (Ids{byteId('h'), byteId('i')}));
  EXPECT_TRUE(tok.encode("", SpecialTokens::kMatch).empty());
}

TEST(Tokenizer, ReadsMergesInTheListForm) {
  nlohmann::json json = testing::tinyTokenizerJson();
  for (auto& merge : json["model"]["merges"]) {
    const std::string text = merge.get<std::string>();
    merge =
        nlohmann::json::array({text.substr(0, text.find(' ')), text.substr(text.find(' ') + 1)});
  }
  const Tokenizer tok = testing::tokenizerFromJson(json);
  EXPECT_EQ(tok.encode("hello world", SpecialTokens::kMatch), (Ids{kHello, kSpaceWorld}));
}

TEST(Tokenizer, DecodesWhatItEncodes) {
  const Tokenizer tok = testing::tinyTokenizer();
  for (std::string_view text : {"hello world", "Grüße, 世界! \xF0\x9F\x98\x80 12345\n\ttabs",
                                "<\xEF\xBD\x9CUser\xEF\xBD\x9C>x</think>"}) {
    EXPECT_EQ(tok.decode(tok.encode(text, SpecialTokens::kMatch)), text);
    EXPECT_EQ(tok.decode(tok.encode(text, SpecialTokens::kPlainText)), text);
  }
}

TEST(Tokenizer, MatchesAddedTokensOnlyWhenAsked) {
  const Tokenizer tok = testing::tinyTokenizer();
  const std::string text = "hi<\xEF\xBD\x9CUser\xEF\xBD\x9C></think>";
  const TokenId user = *tok.findAddedToken("<\xEF\xBD\x9CUser\xEF\xBD\x9C>");
  const TokenId thinkClose = *tok.findAddedToken("</think>");
  EXPECT_EQ(user, 2);
  EXPECT_EQ(thinkClose, 5);
  EXPECT_EQ(tok.encode(text, SpecialTokens::kMatch),
            (Ids{byteId('h'), byteId('i'), user, thinkClose}));
  const Ids plain = tok.encode(text, SpecialTokens::kPlainText);
  for (TokenId id : plain) EXPECT_GE(id, kByte0) << "a control token leaked into plain text";
}

TEST(Tokenizer, PrefersTheLongestAddedTokenAtTheEarliestPosition) {
  nlohmann::json json = testing::tinyTokenizerJson();
  json["added_tokens"].push_back({{"id", 300}, {"content", "<x>"}, {"special", true}});
  json["added_tokens"].push_back({{"id", 301}, {"content", "<x><y>"}, {"special", true}});
  json["added_tokens"].push_back({{"id", 302}, {"content", "><y>"}, {"special", true}});
  const Tokenizer tok = testing::tokenizerFromJson(json);
  EXPECT_EQ(tok.encode("<x><y>", SpecialTokens::kMatch), (Ids{301}));
  EXPECT_EQ(tok.encode("<x><z>", SpecialTokens::kMatch),
            (Ids{300, byteId('<'), byteId('z'), byteId('>')}));
  EXPECT_EQ(tok.encode("a<x>", SpecialTokens::kMatch), (Ids{byteId('a'), 300}));
}

// The message of the TokenizerError `make` throws.
template <typename F>
std::string errorOf(F make) {
  try {
    make();
  } catch (const TokenizerError& e) {
    return e.what();
  }
  return "(no error)";
}

std::string loadError(const nlohmann::json& json) {
  return errorOf([&] { testing::tokenizerFromJson(json); });
}

TEST(TokenizerBadInput, NotJson) {
  EXPECT_NE(errorOf([] { Tokenizer::fromJsonText("{\"model\": "); }).find("not valid JSON"),
            std::string::npos);
  EXPECT_NE(errorOf([] { Tokenizer::fromJsonText("[1, 2]"); }).find("not a JSON object"),
            std::string::npos);
}

TEST(TokenizerBadInput, MissingModel) {
  nlohmann::json json = testing::tinyTokenizerJson();
  json.erase("model");
  EXPECT_NE(loadError(json).find("no \"model\" section"), std::string::npos);
  json = testing::tinyTokenizerJson();
  json["model"].erase("vocab");
  EXPECT_NE(loadError(json).find("no \"vocab\""), std::string::npos);
}

TEST(TokenizerBadInput, MergeNamingAnUnknownToken) {
  nlohmann::json json = testing::tinyTokenizerJson();
  json["model"]["merges"].push_back("he zz");
  EXPECT_NE(loadError(json).find("names 'zz', which is not in the vocabulary"), std::string::npos);
  json = testing::tinyTokenizerJson();
  json["model"]["merges"].push_back("h e l");
  EXPECT_NE(loadError(json).find("neither"), std::string::npos);
}

TEST(TokenizerBadInput, DuplicateIds) {
  nlohmann::json json = testing::tinyTokenizerJson();
  json["model"]["vocab"]["extra"] = 262;  // already "he"
  EXPECT_NE(loadError(json).find("gives id 262 to both"), std::string::npos);
  json = testing::tinyTokenizerJson();
  json["added_tokens"].push_back({{"id", 0}, {"content", "<other>"}});
  EXPECT_NE(loadError(json).find("share an id"), std::string::npos);
  json = testing::tinyTokenizerJson();
  json["added_tokens"].push_back({{"id", 262}, {"content", "<other>"}});
  EXPECT_NE(loadError(json).find("reuses the vocabulary's id 262"), std::string::npos);
}

TEST(TokenizerBadInput, VocabularyWithoutAByteToken) {
  nlohmann::json json = testing::tinyTokenizerJson();
  json["model"]["vocab"].erase("a");
  EXPECT_NE(loadError(json).find("no token for the byte 0x61"), std::string::npos);
}

TEST(TokenizerBadInput, UnsupportedFeatures) {
  nlohmann::json json = testing::tinyTokenizerJson();
  json["added_tokens"][2]["lstrip"] = true;
  EXPECT_NE(loadError(json).find("lstrip"), std::string::npos);
  json = testing::tinyTokenizerJson();
  json["normalizer"] = {{"type", "NFC"}};
  EXPECT_NE(loadError(json).find("normalizer"), std::string::npos);
  json = testing::tinyTokenizerJson();
  json["model"]["vocab"] = {{"a", "zero"}};
  EXPECT_NE(loadError(json).find("no valid id"), std::string::npos);
}

TEST(TokenizerBadInput, InvalidUtf8Text) {
  const Tokenizer tok = testing::tinyTokenizer();
  EXPECT_EQ(errorOf([&] { tok.encode("ok\xC3(", SpecialTokens::kMatch); }),
            "the text is not valid UTF-8 (bad byte at offset 2)");
}

TEST(TokenizerBadInput, IdOutsideTheVocabulary) {
  const Tokenizer tok = testing::tinyTokenizer();
  const Ids ids{kHello, 9999};
  EXPECT_EQ(errorOf([&] { tok.decode(ids); }), "the token id 9999 is not in the vocabulary");
  const Ids negative{-1};
  EXPECT_THROW(tok.decode(negative), TokenizerError);
}

TEST(TokenizerBadInput, ModelFolderWithoutTokenizerJson) {
  const auto dir = std::filesystem::temp_directory_path() / "flint-test-empty-model";
  std::filesystem::create_directories(dir);
  EXPECT_EQ(errorOf([&] { Tokenizer::fromModelDir(dir); }),
            "the model folder " + dir.string() + " has no tokenizer.json");
  std::ofstream(dir / "tokenizer.json") << "not json";
  const std::string error = errorOf([&] { Tokenizer::fromModelDir(dir); });
  EXPECT_EQ(error.rfind((dir / "tokenizer.json").string() + ": not valid JSON", 0), 0u) << error;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace flint::engine
