#pragma once
// Builds the exact DeepSeek-V4 prompt (the rules of DeepSeek's encoding_dsv4.py) for a
// conversation in one of the three thinking modes, as text and as ids. The encoder inserts
// BOS, role markers and think tags itself, as ids; every piece of message text is encoded
// with special-token matching off, so no message can forge a turn or end the prompt.
//
//   BOS [Max: preamble] system <｜User｜>q1<｜Assistant｜></think>a1<EOS>
//   <｜User｜>q2<｜Assistant｜>X where X is </think> (Non-think) or <think> (High, Max).
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/tokenizer/control_tokens.h"
#include "engine/tokenizer/reasoning_preamble.h"
#include "engine/tokenizer/tokenizer.h"

namespace flint::engine {

enum class ThinkingMode {
  kNonThink,  // answers directly after "<｜Assistant｜></think>"
  kHigh,      // reasons after "<｜Assistant｜><think>", then "</think>" and the answer
  kMax,       // High plus the max-effort preamble right after BOS
};

// "non-think", "high", "max" (the CLI's and the settings' spelling).
std::optional<ThinkingMode> parseThinkingMode(std::string_view name);

enum class ChatRole { kSystem, kUser, kAssistant };

struct ChatMessage {
  ChatRole role;
  std::string content;
  std::string reasoning;  // an assistant turn's reasoning_content; kept only after the last user
};

struct EncodedPrompt {
  std::string text;  // the prompt as the reference encoder spells it
  std::vector<TokenId> ids;
};

class PromptEncoder {
 public:
  // Throws TokenizerError when the tokenizer lacks a control token.
  explicit PromptEncoder(const Tokenizer& tokenizer,
                         CheckpointFamily family = CheckpointFamily::kDeepSeekV4);
  // Text only (EncodedPrompt::ids stays empty): the prompt's bytes depend on the family's
  // rules and control-token spellings, not on a vocabulary.
  explicit PromptEncoder(CheckpointFamily family = CheckpointFamily::kDeepSeekV4);

  // The prompt for `messages`; when the last message is from the user, it ends with the
  // assistant turn opened for generation.
  EncodedPrompt encode(std::span<const ChatMessage> messages, ThinkingMode mode) const;

 private:
  const Tokenizer* tokenizer_;  // null: text only
  ControlTokens control_;
  CheckpointFamily family_;
};

}  // namespace flint::engine
