// flint-cli tokenize, detokenize and prompt on the tiny tokenizer, run in-process.
#include "app/cli/cli_app.h"
#include "engine/tokenizer/control_tokens.h"
#include "engine/tokenizer/reasoning_preamble.h"
#include "tests/engine/tokenizer/tiny_tokenizer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace flint::engine {
namespace {

struct CliResult {
  int status;
  std::string out;
  std::string err;
};

class TokenizerCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("flint-cli-tok-" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "tokenizer.json") << testing::tinyTokenizerJson().dump();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  CliResult run(std::vector<std::string> args) {
    args.insert(args.begin() + 1, {"--model", dir_.string()});
    std::ostringstream out, err;
    const int status = cli::runCli(args, out, err);
    return {status, out.str(), err.str()};
  }

  std::filesystem::path dir_;
};

TEST_F(TokenizerCli, PromptMaxPrintsTheExactBytes) {
  const CliResult r = run({"prompt", "--mode", "max", "--user", "hi"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, std::string(kBosText) +
                       std::string(maxEffortPreamble(CheckpointFamily::kDeepSeekV4)) +
                       std::string(kUserText) + "hi" + std::string(kAssistantText) + "<think>");
}

TEST_F(TokenizerCli, PromptTextNeedsNoModel) {
  // No --model: the text comes from the V4 rules alone, byte for byte what the model's
  // tokenizer path prints.
  std::ostringstream out, err;
  ASSERT_EQ(cli::runCli({"prompt", "--mode", "max", "--user", "hi"}, out, err), 0) << err.str();
  EXPECT_EQ(out.str(), run({"prompt", "--mode", "max", "--user", "hi"}).out);
  EXPECT_EQ(out.str().size(),
            kBosText.size() + 476 + kUserText.size() + 2 + kAssistantText.size() + 7)
      << "BOS, the 476-byte preamble, the user turn and the opened thinking turn";
  std::ostringstream jsonOut, jsonErr;
  const int status = cli::runCli(
      {"prompt", "--mode", "high", "--user", "hi", "--json", "--model", "/nonexistent/model"},
      jsonOut, jsonErr);
  EXPECT_EQ(status, 1) << "ids need a tokenizer";
}

TEST_F(TokenizerCli, PromptReadsAMessagesFileAndPrintsJson) {
  std::ofstream(dir_ / "m.json") << R"([{"role": "system", "content": "S"},
      {"role": "user", "content": "q"},
      {"role": "assistant", "content": "a", "reasoning_content": "dropped"},
      {"role": "user", "content": "q2"}])";
  const CliResult r =
      run({"prompt", "--mode", "non-think", "--messages", (dir_ / "m.json").string(), "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto json = nlohmann::json::parse(r.out);
  EXPECT_EQ(json["text"], std::string(kBosText) + "S" + std::string(kUserText) + "q" +
                              std::string(kAssistantText) + "</think>a" + std::string(kEosText) +
                              std::string(kUserText) + "q2" + std::string(kAssistantText) +
                              "</think>");
  EXPECT_EQ(json["ids"].front(), 0);
  EXPECT_EQ(json["ids"].back(), 5);
}

TEST_F(TokenizerCli, TokenizeMatchesSpecialTokensUnlessTold) {
  const std::string user(kUserText);
  EXPECT_EQ(run({"tokenize", user + "hello"}).out, "2,265\n");
  // As plain text the marker is its bytes: every id is a byte token (>= 6), none is User (2).
  const CliResult plain = run({"tokenize", "--no-special", user});
  std::istringstream ids(plain.out);
  int count = 0;
  for (std::string id; std::getline(ids, id, ',');) {
    EXPECT_GE(std::stoi(id), 6);
    ++count;
  }
  EXPECT_EQ(count, static_cast<int>(user.size()));
  EXPECT_EQ(nlohmann::json::parse(run({"tokenize", "--json", "hello world"}).out),
            (nlohmann::json{{"ids", {265, 269}}, {"tokens", {"hello", " world"}}}));
}

TEST_F(TokenizerCli, DetokenizePrintsTheTextBytes) {
  EXPECT_EQ(run({"detokenize", "--ids", "265,269,5"}).out, "hello world</think>");
  const CliResult bad = run({"detokenize", "--ids", "265,x"});
  EXPECT_EQ(bad.status, 2);
  EXPECT_EQ(bad.err, "flint-cli detokenize: 'x' in --ids is not a token id\n");
}

TEST_F(TokenizerCli, ErrorsAreOneLine) {
  std::ostringstream out, err;
  const auto empty = dir_ / "empty";
  std::filesystem::create_directories(empty);
  EXPECT_EQ(cli::runCli({"tokenize", "--model", empty.string(), "x"}, out, err), 1);
  EXPECT_EQ(err.str(),
            "flint-cli tokenize: the model folder " + empty.string() + " has no tokenizer.json\n");
  const CliResult badMode = run({"prompt", "--mode", "medium", "--user", "x"});
  EXPECT_EQ(badMode.status, 2);
  EXPECT_EQ(badMode.err, "flint-cli prompt: --mode must be non-think, high or max, not 'medium'\n");
  EXPECT_EQ(run({"prompt", "--mode", "high"}).status, 2);
}

}  // namespace
}  // namespace flint::engine
