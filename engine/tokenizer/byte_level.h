#pragma once
// GPT-2's byte-level alphabet: tokenizer.json spells every byte as one printable character
// (printable Latin-1 bytes as themselves, the other 68 as U+0100..U+0143). Flint keeps the
// vocabulary as raw bytes, so it only needs the way back.
#include <optional>
#include <string>
#include <string_view>

namespace flint::engine {

// How tokenizer.json spells the single byte `byte`.
std::string byteLevelSpelling(unsigned char byte);

// The raw bytes a byte-level token string stands for, or nullopt when it uses a character
// outside the alphabet (such tokens, like DeepSeek's <｜begin▁of▁sentence｜>, are added tokens).
std::optional<std::string> bytesFromByteLevel(std::string_view token);

}  // namespace flint::engine
