#pragma once
// Decodes generated tokens one at a time. A token may end inside a UTF-8 sequence (byte-level
// BPE splits emoji and CJK characters across tokens), so the incomplete tail is held back
// until the next token completes it; bytes that can never complete become U+FFFD at once.
// Concatenating every push() and finish() gives exactly Tokenizer::decode of all the ids.
#include <string>

#include "engine/tokenizer/tokenizer.h"

namespace flint::engine {

class StreamDecoder {
 public:
  explicit StreamDecoder(const Tokenizer& tokenizer) : tokenizer_(tokenizer) {}

  // The text that `id` completes (possibly empty).
  std::string push(TokenId id);
  // The held-back tail as U+FFFD (empty when nothing is pending); the decoder is then empty.
  std::string finish();

 private:
  const Tokenizer& tokenizer_;
  std::string pending_;  // at most 3 bytes: a proper prefix of one UTF-8 sequence
};

}  // namespace flint::engine
