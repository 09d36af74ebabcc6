#pragma once
// The one exception the tokenizer throws: a bad tokenizer.json, text that is not UTF-8, an
// id outside the vocabulary. The message is one sentence that names the culprit.
#include <stdexcept>

namespace flint::engine {

struct TokenizerError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace flint::engine
