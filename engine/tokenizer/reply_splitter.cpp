#include "engine/tokenizer/reply_splitter.h"

#include "engine/tokenizer/control_tokens.h"

#include <algorithm>

namespace flint::engine {
namespace {

// Length of the longest suffix of `text` that is a proper prefix of `tag`.
std::size_t partialTagLength(std::string_view text, std::string_view tag) {
  for (std::size_t n = std::min(text.size(), tag.size() - 1); n > 0; --n)
    if (text.substr(text.size() - n) == tag.substr(0, n)) return n;
  return 0;
}

TokenId lookUpEos(const Tokenizer& tokenizer) {
  const std::optional<TokenId> id = tokenizer.findAddedToken(kEosText);
  if (!id) throw TokenizerError("the tokenizer has no end-of-sentence token");
  return *id;
}

}  // namespace

ReplySplitter::ReplySplitter(const Tokenizer& tokenizer, ThinkingMode mode)
    : decoder_(tokenizer), eos_(lookUpEos(tokenizer)), thinking_(mode != ThinkingMode::kNonThink) {}

ReplyDelta ReplySplitter::push(TokenId id) {
  ReplyDelta delta;
  if (finished_) {
    delta.finished = true;
    return delta;
  }
  if (id == eos_) {
    close(delta);
    return delta;
  }
  route(decoder_.push(id), delta);
  return delta;
}

ReplyDelta ReplySplitter::finish() {
  ReplyDelta delta;
  if (!finished_) close(delta);
  delta.finished = true;
  return delta;
}

void ReplySplitter::close(ReplyDelta& delta) {
  route(decoder_.finish(), delta);
  delta.thinking += heldTag_;
  heldTag_.clear();
  finished_ = true;
  delta.finished = true;
}

void ReplySplitter::route(std::string_view text, ReplyDelta& delta) {
  if (!thinking_) {
    delta.answer.append(text);
    return;
  }
  std::string buffer = std::move(heldTag_);
  heldTag_.clear();
  buffer.append(text);
  const std::size_t tag = buffer.find(kThinkCloseText);
  if (tag != std::string::npos) {
    delta.thinking.append(buffer, 0, tag);
    delta.answer.append(buffer, tag + kThinkCloseText.size());
    thinking_ = false;
    return;
  }
  const std::size_t held = partialTagLength(buffer, kThinkCloseText);
  delta.thinking.append(buffer, 0, buffer.size() - held);
  heldTag_ = buffer.substr(buffer.size() - held);
}

}  // namespace flint::engine
