#pragma once
// The one error type for unreadable or inconsistent model files: the message is a complete
// sentence (or a short list) naming the file, the tensor or field, what was expected and found.
#include <stdexcept>

namespace flint::engine {

struct ModelError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace flint::engine
