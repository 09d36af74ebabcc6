#include "engine/tokenizer/pre_tokenizer.h"

#include "engine/tokenizer/tokenizer_error.h"
#include "engine/tokenizer/utf8.h"

#include <nlohmann/json.hpp>

namespace flint::engine {
namespace {

std::string typeOf(const nlohmann::json& step) {
  if (!step.is_object() || !step.contains("type") || !step["type"].is_string())
    throw TokenizerError("a pre_tokenizer step has no \"type\"");
  return step["type"].get<std::string>();
}

SplitMatcher readSplit(const nlohmann::json& step) {
  const auto& pattern = step.value("pattern", nlohmann::json());
  if (!pattern.is_object() || !pattern.contains("Regex") || !pattern["Regex"].is_string())
    throw TokenizerError("a Split pre_tokenizer step has no \"pattern\": {\"Regex\": ...}");
  const std::string regex = pattern["Regex"].get<std::string>();
  if (step.value("behavior", "") != "Isolated" || step.value("invert", false))
    throw TokenizerError("Split pre_tokenizer steps must be behavior Isolated, not inverted");
  SplitMatcher matcher = findSplitMatcher(regex);
  if (!matcher)
    throw TokenizerError("the Split pre_tokenizer pattern '" + regex +
                         "' is not one Flint has a matcher for");
  return matcher;
}

// ByteLevel with use_regex false only maps bytes to printable characters, which Flint's
// vocabulary (stored as raw bytes) already accounts for.
void checkByteLevel(const nlohmann::json& step) {
  if (step.value("use_regex", true) || step.value("add_prefix_space", false))
    throw TokenizerError(
        "a ByteLevel pre_tokenizer step must have use_regex and add_prefix_space false");
}

}  // namespace

PreTokenizer PreTokenizer::fromJson(const nlohmann::json& section) {
  PreTokenizer result;
  if (section.is_null()) return result;
  const bool isSequence = typeOf(section) == "Sequence";
  const nlohmann::json steps = isSequence ? section.value("pretokenizers", nlohmann::json())
                                          : nlohmann::json::array({section});
  if (!steps.is_array()) throw TokenizerError("the Sequence pre_tokenizer has no list of steps");
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const std::string type = typeOf(steps[i]);
    if (type == "Split") {
      result.steps_.push_back(readSplit(steps[i]));
    } else if (type == "ByteLevel" && i + 1 == steps.size()) {
      checkByteLevel(steps[i]);
    } else {
      throw TokenizerError("the pre_tokenizer step '" + type + "' is not supported here");
    }
  }
  return result;
}

void PreTokenizer::split(std::string_view text, std::vector<std::string_view>& pieces) const {
  if (!text.empty()) splitFrom(0, text, pieces);
}

void PreTokenizer::splitFrom(std::size_t step, std::string_view piece,
                             std::vector<std::string_view>& pieces) const {
  if (step == steps_.size()) {
    pieces.push_back(piece);
    return;
  }
  const SplitMatcher match = steps_[step];
  std::size_t gapStart = 0;
  std::size_t pos = 0;
  while (pos < piece.size()) {
    const std::size_t length = match(piece, pos);
    if (length == 0) {
      std::size_t charLength = 0;
      utf8::decodeValid(piece, pos, charLength);
      pos += charLength;
      continue;
    }
    if (gapStart < pos) splitFrom(step + 1, piece.substr(gapStart, pos - gapStart), pieces);
    splitFrom(step + 1, piece.substr(pos, length), pieces);
    pos += length;
    gapStart = pos;
  }
  if (gapStart < piece.size()) splitFrom(step + 1, piece.substr(gapStart), pieces);
}

}  // namespace flint::engine
