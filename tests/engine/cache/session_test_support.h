#pragma once
// What the session tests share: flint-tiny loaded once, a document question, and the prefix
// of its prompt that only the document decides.
#include "engine/engine.h"

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace flint::engine::testing {

std::filesystem::path tinyModel();
// flint-tiny with `numerics`, loaded once per numerics for the whole test program.
Engine& tinyEngine(Numerics numerics = Numerics::Official);

// A document of about `records` * 12 tokens and a question after it; greedy.
GenerateRequest documentQuestion(const std::string& question, std::size_t records = 50,
                                 int maxTokens = 40);
// The ids the prompts of every question about the same document share: the document's part.
std::vector<TokenId> documentPrefix(const Engine& engine, std::size_t records = 50);

// A fresh folder under the temporary directory, removed with the object.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

class CollectingSink : public StreamSink {
 public:
  void onThinking(std::string_view) override {}
  void onAnswer(std::string_view) override {}
  void onStats(const Stats&) override {}
  void onPrefillProgress(std::size_t done, std::size_t total) override {
    progress.emplace_back(done, total);
  }
  std::vector<std::pair<std::size_t, std::size_t>> progress;
};

}  // namespace flint::engine::testing
