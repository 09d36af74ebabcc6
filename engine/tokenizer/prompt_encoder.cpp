#include "engine/tokenizer/prompt_encoder.h"

#include <cstddef>

namespace flint::engine {
namespace {

// Accumulates the prompt: control tokens go in as ids, message text is buffered and encoded
// as plain text in one run up to the next control token (the reference tokenizes the whole
// string, and adjacent text such as preamble + system prompt shares pre-tokens).
class PromptBuilder {
 public:
  // `tokenizer` null: the text alone.
  explicit PromptBuilder(const Tokenizer* tokenizer) : tokenizer_(tokenizer) {}

  void addControl(const ControlToken& token) {
    flushText();
    prompt_.text.append(token.text);
    if (tokenizer_) prompt_.ids.push_back(token.id);
  }
  void addText(std::string_view text) {
    pendingText_.append(text);
    prompt_.text.append(text);
  }
  EncodedPrompt finish() {
    flushText();
    return std::move(prompt_);
  }

 private:
  void flushText() {
    if (tokenizer_) tokenizer_->encodeInto(pendingText_, SpecialTokens::kPlainText, prompt_.ids);
    pendingText_.clear();
  }

  const Tokenizer* tokenizer_;
  EncodedPrompt prompt_;
  std::string pendingText_;
};

// Consecutive user messages form one user turn, joined by a blank line.
std::vector<ChatMessage> mergeUserRuns(std::span<const ChatMessage> messages) {
  std::vector<ChatMessage> merged;
  for (const ChatMessage& m : messages) {
    if (m.role == ChatRole::kUser && !merged.empty() && merged.back().role == ChatRole::kUser)
      merged.back().content += "\n\n" + m.content;
    else
      merged.push_back(m);
  }
  return merged;
}

}  // namespace

std::optional<ThinkingMode> parseThinkingMode(std::string_view name) {
  if (name == "non-think") return ThinkingMode::kNonThink;
  if (name == "high") return ThinkingMode::kHigh;
  if (name == "max") return ThinkingMode::kMax;
  return std::nullopt;
}

PromptEncoder::PromptEncoder(const Tokenizer& tokenizer, CheckpointFamily family)
    : tokenizer_(&tokenizer), control_(ControlTokens::lookUp(tokenizer)), family_(family) {}

PromptEncoder::PromptEncoder(CheckpointFamily family)
    : tokenizer_(nullptr), control_(ControlTokens::spellings()), family_(family) {}

EncodedPrompt PromptEncoder::encode(std::span<const ChatMessage> input, ThinkingMode mode) const {
  const std::vector<ChatMessage> messages = mergeUserRuns(input);
  const bool thinking = mode != ThinkingMode::kNonThink;
  std::ptrdiff_t lastUser = -1;  // -1: no user message
  for (std::size_t i = 0; i < messages.size(); ++i)
    if (messages[i].role == ChatRole::kUser) lastUser = static_cast<std::ptrdiff_t>(i);

  PromptBuilder prompt(tokenizer_);
  prompt.addControl(control_.bos);
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const ChatMessage& m = messages[i];
    if (i == 0 && mode == ThinkingMode::kMax) prompt.addText(maxEffortPreamble(family_));
    switch (m.role) {
      case ChatRole::kSystem:
        prompt.addText(m.content);
        break;
      case ChatRole::kUser:
        prompt.addControl(control_.user);
        prompt.addText(m.content);
        break;
      case ChatRole::kAssistant:
        // Reasoning of turns before the last user message is dropped; so is their </think>,
        // which the preceding user turn's transition already carries.
        if (thinking && static_cast<std::ptrdiff_t>(i) > lastUser) {
          prompt.addText(m.reasoning);
          prompt.addControl(control_.thinkClose);
        }
        prompt.addText(m.content);
        prompt.addControl(control_.eos);
        break;
    }
    // A user turn followed by an answer (or ending the prompt) opens the assistant turn:
    // with <think> when it is the last user turn in a thinking mode, else with </think>.
    const bool answerFollows =
        i + 1 == messages.size() || messages[i + 1].role == ChatRole::kAssistant;
    if (m.role == ChatRole::kUser && answerFollows) {
      prompt.addControl(control_.assistant);
      prompt.addControl(thinking && static_cast<std::ptrdiff_t>(i) == lastUser
                            ? control_.thinkOpen
                            : control_.thinkClose);
    }
  }
  return prompt.finish();
}

}  // namespace flint::engine
