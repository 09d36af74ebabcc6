#include "tests/engine/tokenizer/tiny_tokenizer.h"

#include "engine/tokenizer/byte_level.h"
#include "engine/tokenizer/control_tokens.h"

#include <fstream>
#include <string>

namespace flint::engine::testing {

nlohmann::json deepSeekPreTokenizerJson() {
  return nlohmann::json::parse(R"json({"type": "Sequence", "pretokenizers": [
    {"type": "Split", "pattern": {"Regex": "\\p{N}{1,3}"}, "behavior": "Isolated",
     "invert": false},
    {"type": "Split", "pattern": {"Regex": "[一-龥぀-ゟ゠-ヿ]+"}, "behavior": "Isolated",
     "invert": false},
    {"type": "Split", "pattern": {"Regex": "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+"},
     "behavior": "Isolated", "invert": false},
    {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false}
  ]})json");
}

nlohmann::json tinyTokenizerJson() {
  nlohmann::json added = nlohmann::json::array();
  int id = 0;
  for (std::string_view content :
       {kBosText, kEosText, kUserText, kAssistantText, kThinkOpenText, kThinkCloseText}) {
    const bool special = content == kBosText || content == kEosText;
    added.push_back({{"id", id++},
                     {"content", std::string(content)},
                     {"special", special},
                     {"lstrip", false},
                     {"rstrip", false},
                     {"single_word", false},
                     {"normalized", !special}});
  }
  nlohmann::json vocab = nlohmann::json::object();
  for (int byte = 0; byte < 256; ++byte)
    vocab[byteLevelSpelling(static_cast<unsigned char>(byte))] = id++;
  nlohmann::json merges = nlohmann::json::array();
  // "Ġ" is the byte-level spelling of a space.
  for (auto [left, right] : {std::pair{"h", "e"},
                             {"l", "l"},
                             {"he", "ll"},
                             {"hell", "o"},
                             {"Ġ", "w"},
                             {"o", "r"},
                             {"Ġw", "or"},
                             {"Ġwor", "ld"},
                             {"l", "d"}}) {
    vocab[std::string(left) + right] = id++;
    merges.push_back(std::string(left) + " " + right);
  }
  return {{"version", "1.0"},
          {"added_tokens", added},
          {"normalizer", {{"type", "Sequence"}, {"normalizers", nlohmann::json::array()}}},
          {"pre_tokenizer", deepSeekPreTokenizerJson()},
          {"decoder", {{"type", "ByteLevel"}}},
          {"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", merges}}}};
}

Tokenizer tokenizerFromJson(const nlohmann::json& json) {
  return Tokenizer::fromJsonText(json.dump());
}

Tokenizer tinyTokenizer() {
  return tokenizerFromJson(tinyTokenizerJson());
}

std::optional<std::filesystem::path> realTokenizerPath() {
  std::filesystem::path path = std::filesystem::path(FLINT_SOURCE_DIR) /
                               ".cache/test-data/deepseek-v3-tokenizer/tokenizer.json";
  if (!std::filesystem::exists(path)) return std::nullopt;
  return path;
}

Tokenizer realTokenizerWithV4ThinkTags(const std::filesystem::path& path) {
  std::ifstream in(path);
  nlohmann::json json = nlohmann::json::parse(in);
  for (auto [id, content] : {std::pair{128821, kThinkOpenText}, {128822, kThinkCloseText}})
    json["added_tokens"].push_back(
        {{"id", id}, {"content", std::string(content)}, {"special", false}, {"normalized", true}});
  return tokenizerFromJson(json);
}

}  // namespace flint::engine::testing
