#include "engine/tokenizer/control_tokens.h"

#include <string>

namespace flint::engine {
namespace {

ControlToken lookUpOne(const Tokenizer& tokenizer, std::string_view text) {
  const std::optional<TokenId> id = tokenizer.findAddedToken(text);
  if (!id)
    throw TokenizerError("the tokenizer has no added token " + std::string(text) +
                         ", which DeepSeek-V4 prompts need");
  return {*id, text};
}

}  // namespace

ControlTokens ControlTokens::lookUp(const Tokenizer& tokenizer) {
  return {lookUpOne(tokenizer, kBosText),       lookUpOne(tokenizer, kEosText),
          lookUpOne(tokenizer, kUserText),      lookUpOne(tokenizer, kAssistantText),
          lookUpOne(tokenizer, kThinkOpenText), lookUpOne(tokenizer, kThinkCloseText)};
}

ControlTokens ControlTokens::spellings() {
  return {{-1, kBosText},       {-1, kEosText},       {-1, kUserText},
          {-1, kAssistantText}, {-1, kThinkOpenText}, {-1, kThinkCloseText}};
}

}  // namespace flint::engine
