#pragma once
// The store keeps text byte for byte, valid UTF-8 or not. Formats that must be UTF-8
// (Markdown and JSON exports) pass it through here first.
#include <cstddef>
#include <string>
#include <string_view>

namespace flint::store {

// Length of the valid UTF-8 sequence starting at text[i], or 0 when it is invalid (overlong
// forms, surrogates and code points above U+10FFFF included).
std::size_t utf8SequenceLength(std::string_view text, std::size_t i);
bool isValidUtf8(std::string_view text);
// `text` with each byte that starts no valid sequence replaced by U+FFFD.
std::string toValidUtf8(std::string_view text);

}  // namespace flint::store
