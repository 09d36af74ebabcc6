#pragma once
// The store keeps text byte for byte, valid UTF-8 or not. Formats that must be UTF-8
// (Markdown and JSON exports) pass it through here first.
#include <string>
#include <string_view>

namespace flint::store {

bool isValidUtf8(std::string_view text);
// `text` with each byte that starts no valid sequence replaced by U+FFFD.
std::string toValidUtf8(std::string_view text);

}  // namespace flint::store
