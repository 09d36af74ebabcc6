#include "engine/tokenizer/byte_level.h"

#include "engine/tokenizer/utf8.h"

#include <array>

namespace flint::engine {
namespace {

bool isPrintableLatin1(unsigned byte) {
  return (byte >= '!' && byte <= '~') || (byte >= 0xA1 && byte <= 0xAC) || byte >= 0xAE;
}

// Code point (< U+0144) -> byte, -1 where the code point is not in the alphabet.
std::array<int, 0x144> makeByteOfCodePoint() {
  std::array<int, 0x144> byteOf{};
  byteOf.fill(-1);
  unsigned next = 0x100;
  for (unsigned byte = 0; byte < 256; ++byte)
    byteOf[isPrintableLatin1(byte) ? byte : next++] = byte;
  return byteOf;
}

}  // namespace

std::string byteLevelSpelling(unsigned char byte) {
  unsigned codePoint = byte;
  if (!isPrintableLatin1(byte)) {
    // The unprintable bytes take U+0100, U+0101, ... in byte order.
    codePoint = 0x100;
    for (unsigned b = 0; b < byte; ++b) codePoint += isPrintableLatin1(b) ? 0 : 1;
  }
  std::string spelling;
  if (codePoint < 0x80) {
    spelling.push_back(static_cast<char>(codePoint));
  } else {
    spelling.push_back(static_cast<char>(0xC0 | (codePoint >> 6)));
    spelling.push_back(static_cast<char>(0x80 | (codePoint & 0x3F)));
  }
  return spelling;
}

std::optional<std::string> bytesFromByteLevel(std::string_view token) {
  static const std::array<int, 0x144> byteOf = makeByteOfCodePoint();
  std::string bytes;
  bytes.reserve(token.size());
  std::size_t pos = 0;
  while (pos < token.size()) {
    const utf8::Sequence seq = utf8::readSequence(token, pos);
    if (seq.status != utf8::SequenceStatus::kComplete || seq.codePoint >= byteOf.size() ||
        byteOf[seq.codePoint] < 0)
      return std::nullopt;
    bytes.push_back(static_cast<char>(byteOf[seq.codePoint]));
    pos += seq.length;
  }
  return bytes;
}

}  // namespace flint::engine
