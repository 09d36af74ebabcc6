#pragma once
// UTF-8 reading for the tokenizer: strict validation for input text, and the "maximal
// subpart" replacement (one U+FFFD per ill-formed subsequence, as Unicode §3.9, WHATWG's
// TextDecoder and Rust's from_utf8_lossy do it) for decoded bytes.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace flint::engine::utf8 {

enum class SequenceStatus {
  kComplete,    // a well-formed code point
  kIncomplete,  // a proper prefix of a well-formed sequence that runs into the end of the input
  kInvalid,     // can never complete: `length` bytes (>= 1) become one U+FFFD
};

struct Sequence {
  SequenceStatus status;
  char32_t codePoint;  // valid when status is kComplete
  std::size_t length;  // bytes covered; for kIncomplete, all bytes up to the end
};

inline constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";  // U+FFFD

// Reads the sequence starting at `pos` (< text.size()).
Sequence readSequence(std::string_view text, std::size_t pos);

// Offset of the first byte that is not part of well-formed UTF-8, if any.
std::optional<std::size_t> findInvalidByte(std::string_view text);

// `text` with every ill-formed subsequence (an incomplete tail included) replaced by U+FFFD.
std::string replaceInvalid(std::string_view text);

// Decodes the code point at `pos` of text already known to be well-formed; sets `length`.
inline char32_t decodeValid(std::string_view text, std::size_t pos, std::size_t& length) {
  const auto b0 = static_cast<unsigned char>(text[pos]);
  if (b0 < 0x80) {
    length = 1;
    return b0;
  }
  auto cont = [&](std::size_t i) { return static_cast<char32_t>(text[pos + i] & 0x3F); };
  if (b0 < 0xE0) {
    length = 2;
    return (static_cast<char32_t>(b0 & 0x1F) << 6) | cont(1);
  }
  if (b0 < 0xF0) {
    length = 3;
    return (static_cast<char32_t>(b0 & 0x0F) << 12) | (cont(1) << 6) | cont(2);
  }
  length = 4;
  return (static_cast<char32_t>(b0 & 0x07) << 18) | (cont(1) << 12) | (cont(2) << 6) | cont(3);
}

}  // namespace flint::engine::utf8
