#pragma once
// Test fixtures: a tiny tokenizer.json in DeepSeek's layout (the real pre-tokenizer, 256 byte
// tokens, a few merges, the control tokens at small ids) built in code so each test can break
// one field of it; and where the real DeepSeek tokenizer.json lands after
// scripts/fetch_test_data.sh.
#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>

#include "engine/tokenizer/tokenizer.h"

namespace flint::engine::testing {

// Control tokens at ids 0..5 (BOS, EOS, User, Assistant, <think>, </think>), then the 256
// byte tokens, then merged tokens for "hello", " world" and "ll".
nlohmann::json tinyTokenizerJson();
Tokenizer tinyTokenizer();
Tokenizer tokenizerFromJson(const nlohmann::json& json);

// The pre_tokenizer section exactly as DeepSeek's tokenizer.json has it.
nlohmann::json deepSeekPreTokenizerJson();

// The real V3 tokenizer.json, or nullopt when scripts/fetch_test_data.sh has not fetched it.
std::optional<std::filesystem::path> realTokenizerPath();
// The real V3 vocabulary plus V4's added tokens <think> (128821) and </think> (128822), which
// the V3 file lacks; the other V4 ids of §6 are V3's own.
Tokenizer realTokenizerWithV4ThinkTags(const std::filesystem::path& path);

}  // namespace flint::engine::testing
