#include "app/cli/bench_prefix_cache.h"

#include "app/cli/model_options.h"
#include "app/documents/prefix_cache.h"

#include <nlohmann/json.hpp>

#include <unistd.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ostream>

namespace flint::cli {
namespace {

using Clock = std::chrono::steady_clock;

class QuietSink : public engine::StreamSink {
 public:
  void onThinking(std::string_view) override {}
  void onAnswer(std::string_view) override {}
  void onStats(const engine::Stats&) override {}
};

// A document of at least `tokens` tokens: numbered records, each a little different.
std::string benchDocument(const engine::Tokenizer& tokenizer, std::size_t tokens) {
  static const char* kColours[] = {"blue", "green", "amber", "white", "red", "grey", "violet"};
  std::string text;
  for (std::size_t first = 1;
       tokenizer.encode(text, engine::SpecialTokens::kPlainText).size() < tokens; first += 10)
    for (std::size_t i = first; i < first + 10; ++i)
      text += "Record " + std::to_string(i) + ": the lantern in room " +
              std::to_string(i * 7 % 97) + " is " + kColours[i % 7] + ".\n";
  return text;
}

// The benchmark's cache folder, removed however the benchmark ends.
struct ScratchFolder {
  std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("flint-bench-prefix-" + std::to_string(::getpid()));
  ~ScratchFolder() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
};

engine::GenerateRequest question(const std::string& document, const std::string& text,
                                 int maxTokens) {
  engine::GenerateRequest request;
  request.messages = {{engine::ChatRole::kUser,
                       "<document title=\"records.txt\">\n" + document + "</document>\n\n" + text,
                       ""}};
  request.sampling.temperature = 0;
  request.maxTokens = maxTokens;
  return request;
}

struct Run {
  double seconds = 0;
  std::string answer;
};

}  // namespace

int benchPrefixCache(const ParsedArgs& args, CommandContext& ctx) {
  const long long prefixTokens = args.integer("prompt-tokens").value_or(3000);
  auto engine = loadEngine(args);
  const engine::ModelConfig& config = engine->config();
  if (prefixTokens < 1 || prefixTokens + 256 > config.maxPositionEmbeddings)
    throw UsageError("--prompt-tokens must leave 256 tokens of the model's context of " +
                     std::to_string(config.maxPositionEmbeddings) + " for the question");
  const std::string document = benchDocument(engine->tokenizer(), std::size_t(prefixTokens));
  const engine::PromptEncoder encoder(engine->tokenizer());
  const engine::GenerateRequest asked =
      question(document, "Which colour is the lantern in room 12?", 1);
  const auto encode = [&](const engine::GenerateRequest& r) {
    return encoder.encode(r.messages, r.mode).ids;
  };
  // The document's prefix: what two different questions' prompts share.
  const std::vector<engine::TokenId> full = encode(asked),
                                     other = encode(question(document, "Name a room.", 1));
  const std::vector<engine::TokenId> prefix(
      full.begin(), std::mismatch(full.begin(), full.end(), other.begin(), other.end()).first);

  const std::filesystem::path folder =
      std::filesystem::temp_directory_path() / ("flint-bench-prefix-" + std::to_string(::getpid()));
  documents::PrefixCache cache(folder, std::uint64_t(1) << 30, *engine);
  QuietSink sink;
  // Time to first token: generate() asked for one token, so prefill and the first token.
  const auto timeOne = [&](bool resume, int maxTokens) {
    engine::GenerateRequest request = asked;
    request.maxTokens = maxTokens;
    auto session = engine->newSession();
    const auto start = Clock::now();
    if (resume && cache.restore(*session, full) != prefix.size())
      throw CommandError("the prefix cache missed the document it had just saved");
    Run run;
    run.answer = session->generate(request, sink).answer;
    run.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    return run;
  };

  timeOne(false, 1);  // maps the weights' pages, as a loaded app would have
  const auto saveStart = Clock::now();
  {
    auto session = engine->newSession();
    session->prefill(prefix);
    cache.store(*session);
  }
  const double saveSeconds = std::chrono::duration<double>(Clock::now() - saveStart).count();
  double fresh = 1e30, resumed = 1e30;
  for (int i = 0; i < 3; ++i) {  // the best of three, each way
    fresh = std::min(fresh, timeOne(false, 1).seconds);
    resumed = std::min(resumed, timeOne(true, 1).seconds);
  }
  const bool same = timeOne(false, 32).answer == timeOne(true, 32).answer;
  const std::uint64_t fileBytes = cache.bytes();

  const nlohmann::json j = {{"model", modelDir(args).string()},
                            {"prefix_tokens", prefix.size()},
                            {"question_tokens", full.size() - prefix.size()},
                            {"prefill_and_save_seconds", saveSeconds},
                            {"session_file_bytes", fileBytes},
                            {"fresh_first_token_seconds", fresh},
                            {"resumed_first_token_seconds", resumed},
                            {"speedup", fresh / resumed},
                            {"greedy_answers_identical", same}};
  if (args.has("json")) {
    ctx.out << j.dump(2) << "\n";
    return 0;
  }
  char text[512];
  std::snprintf(text, sizeof text,
                "prefix   %zu document tokens + %zu question tokens; prefill and save %.2f s, "
                "%.1f MB file\n"
                "first    token %.3f s from scratch, %.3f s resumed from the prefix cache: %.0fx\n"
                "answers  greedy, 32 tokens: %s\n",
                prefix.size(), full.size() - prefix.size(), saveSeconds, double(fileBytes) / 1e6,
                fresh, resumed, fresh / resumed, same ? "identical" : "DIFFERENT");
  ctx.out << text;
  return same ? 0 : 1;
}

}  // namespace flint::cli
