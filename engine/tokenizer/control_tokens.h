#pragma once
// The control tokens a DeepSeek-V4 prompt is built from. Their ids are looked up by content in
// the tokenizer's added tokens (a generated tiny checkpoint numbers them differently from the
// real vocabulary), never hard-coded.
#include <string_view>

#include "engine/tokenizer/tokenizer.h"

namespace flint::engine {

// The markers use U+FF5C "｜" and U+2581 "▁".
inline constexpr std::string_view kBosText = "<\uff5cbegin\u2581of\u2581sentence\uff5c>";
inline constexpr std::string_view kEosText = "<\uff5cend\u2581of\u2581sentence\uff5c>";
inline constexpr std::string_view kUserText = "<\uff5cUser\uff5c>";
inline constexpr std::string_view kAssistantText = "<\uff5cAssistant\uff5c>";
inline constexpr std::string_view kThinkOpenText = "<think>";
inline constexpr std::string_view kThinkCloseText = "</think>";

struct ControlToken {
  TokenId id;
  std::string_view text;
};

struct ControlTokens {
  ControlToken bos, eos, user, assistant, thinkOpen, thinkClose;

  // Throws TokenizerError naming the first control token the tokenizer lacks.
  static ControlTokens lookUp(const Tokenizer& tokenizer);
  // The spellings alone (ids -1): a prompt's text is the same for every V4 vocabulary.
  static ControlTokens spellings();
};

}  // namespace flint::engine
