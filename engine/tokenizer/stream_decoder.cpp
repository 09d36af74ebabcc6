#include "engine/tokenizer/stream_decoder.h"

#include "engine/tokenizer/utf8.h"

namespace flint::engine {

std::string StreamDecoder::push(TokenId id) {
  pending_.append(tokenizer_.tokenBytes(id));
  std::string text;
  std::size_t pos = 0;
  while (pos < pending_.size()) {
    const utf8::Sequence seq = utf8::readSequence(pending_, pos);
    if (seq.status == utf8::SequenceStatus::kIncomplete) break;
    if (seq.status == utf8::SequenceStatus::kComplete)
      text.append(pending_, pos, seq.length);
    else
      text.append(utf8::kReplacementCharacter);
    pos += seq.length;
  }
  pending_.erase(0, pos);
  return text;
}

std::string StreamDecoder::finish() {
  std::string text = utf8::replaceInvalid(pending_);
  pending_.clear();
  return text;
}

}  // namespace flint::engine
