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

}  // namespace flint::engine
