#pragma once
// Splits a generated reply, token by token, into its reasoning and its answer: in High and
// Max the text before "</think>" is thinking and the text after it is the answer; in
// Non-think all of it is answer. The tag is found in the decoded text, so it is recognised
// whether it arrives as its own token or spelled out across several. EOS ends the reply.
#include <string>

#include "engine/tokenizer/prompt_encoder.h"
#include "engine/tokenizer/stream_decoder.h"

namespace flint::engine {

struct ReplyDelta {
  std::string thinking;
  std::string answer;
  bool finished = false;  // EOS arrived (or finish() was called); later tokens are ignored
};

class ReplySplitter {
 public:
  // Throws TokenizerError when the tokenizer has no EOS token.
  ReplySplitter(const Tokenizer& tokenizer, ThinkingMode mode);

  ReplyDelta push(TokenId id);
  // Ends a reply that stopped without EOS (a token limit, a cancel): flushes what is held.
  ReplyDelta finish();

 private:
  void route(std::string_view text, ReplyDelta& delta);
  void close(ReplyDelta& delta);

  StreamDecoder decoder_;
  TokenId eos_;
  bool thinking_;
  bool finished_ = false;
  std::string heldTag_;  // the end of the thinking text that may be the start of "</think>"
};

}  // namespace flint::engine
