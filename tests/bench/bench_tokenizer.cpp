// Encode throughput on DeepSeek's real tokenizer.json (scripts/fetch_test_data.sh fetches it).
// The text is the committed test corpus (prose, code, CJK, emoji, numbers, whitespace), its
// strings joined by newlines; bytes/s counts input bytes. The pre-token cache is warm after
// the first iteration, as it is in a chat, where words repeat.
#include "engine/tokenizer/tokenizer.h"

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

namespace {

using flint::engine::SpecialTokens;
using flint::engine::Tokenizer;

const std::filesystem::path kSource = FLINT_SOURCE_DIR;

const std::optional<Tokenizer>& realTokenizer() {
  static const std::optional<Tokenizer> tok = []() -> std::optional<Tokenizer> {
    const auto path = kSource / ".cache/test-data/deepseek-v3-tokenizer/tokenizer.json";
    if (!std::filesystem::exists(path)) return std::nullopt;
    return Tokenizer::fromFile(path);
  }();
  return tok;
}

const std::string& corpusText() {
  static const std::string text = [] {
    std::ifstream in(kSource / "tests/engine/data/tokenizer_corpus.json");
    const nlohmann::json corpus = nlohmann::json::parse(in);
    std::string joined;
    for (const auto& c : corpus["cases"])
      if (c.contains("text")) joined += c["text"].get<std::string>() + "\n";
    return joined;
  }();
  return text;
}

void encodeCorpus(benchmark::State& state, SpecialTokens specials) {
  if (!realTokenizer()) {
    state.SkipWithError("no tokenizer.json in .cache/test-data: run scripts/fetch_test_data.sh");
    return;
  }
  const std::string& text = corpusText();
  for (auto _ : state) benchmark::DoNotOptimize(realTokenizer()->encode(text, specials));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}

void BM_EncodeCorpus(benchmark::State& state) {
  encodeCorpus(state, SpecialTokens::kMatch);
}
void BM_EncodeCorpusPlainText(benchmark::State& state) {
  encodeCorpus(state, SpecialTokens::kPlainText);
}

BENCHMARK(BM_EncodeCorpus)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_EncodeCorpusPlainText)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
