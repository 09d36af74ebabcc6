#pragma once
#include <cstdint>

namespace flint::engine {

// A vocabulary index, as tokenizer.json and the embedding table number them.
using TokenId = std::int32_t;

}  // namespace flint::engine
