#include "tests/engine/cache/session_test_support.h"

#include <algorithm>
#include <atomic>
#include <map>

#include <unistd.h>

namespace flint::engine::testing {

std::filesystem::path tinyModel() {
  return std::filesystem::path(FLINT_SOURCE_DIR) / "resources/models/flint-tiny";
}

Engine& tinyEngine(Numerics numerics) {
  static std::map<Numerics, std::unique_ptr<Engine>> engines;
  auto& engine = engines[numerics];
  if (!engine) {
    LoadOptions options;
    options.numerics = numerics;
    options.threads = 2;
    engine = Engine::load(tinyModel(), options);
  }
  return *engine;
}

namespace {

std::string document(std::size_t records) {
  static const char* kColours[] = {"blue", "green", "amber", "white", "red", "grey", "violet"};
  std::string text = "<document title=\"records.txt\">\n";
  for (std::size_t i = 1; i <= records; ++i)
    text += "Record " + std::to_string(i) + ": the lantern in room " + std::to_string(i * 7 % 97) +
            " is " + kColours[i % 7] + ".\n";
  return text + "</document>\n\n";
}

}  // namespace

GenerateRequest documentQuestion(const std::string& question, std::size_t records, int maxTokens) {
  GenerateRequest request;
  request.messages = {{ChatRole::kUser, document(records) + question, ""}};
  request.sampling.temperature = 0;
  request.maxTokens = maxTokens;
  request.adaptiveDrafts = false;  // the scheduler learns across calls; tests compare calls
  return request;
}

std::vector<TokenId> documentPrefix(const Engine& engine, std::size_t records) {
  const PromptEncoder encoder(engine.tokenizer());
  const auto ids = [&](const char* question) {
    const GenerateRequest r = documentQuestion(question, records);
    return encoder.encode(r.messages, r.mode).ids;
  };
  const std::vector<TokenId> a = ids("Which colour is the lantern in room 12?"),
                             b = ids("Name it.");
  return {a.begin(), std::mismatch(a.begin(), a.end(), b.begin(), b.end()).first};
}

ScratchDir::ScratchDir() {
  static std::atomic<int> counter{0};
  path_ = std::filesystem::temp_directory_path() /
          ("flint-session-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  std::filesystem::remove_all(path_);
  std::filesystem::create_directories(path_);
}

ScratchDir::~ScratchDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace flint::engine::testing
