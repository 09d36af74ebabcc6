#pragma once
// Telling text from binary, and making text valid UTF-8 for the tokenizer.
//
// Invalid UTF-8 is repaired, not refused: each byte that starts no valid sequence becomes
// U+FFFD and the import reports how many there were and where the first one sits. A stray
// byte (a Latin-1 "é" pasted into a UTF-8 file, a download cut mid-character) should not cost
// the user the whole document, and the replacement is visible in the text the model reads.
// A file that is mostly not UTF-8 is another encoding; repairing it would leave nothing to
// read, so that one is refused (NotUtf8).
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace flint::documents {

// Why `bytes` are not text, as a clause ("it holds NUL bytes (the first at byte 12)"), or
// nothing when they look like text. Looks at NUL bytes anywhere and at the share of control
// characters in the first 64 KiB.
std::optional<std::string> binaryReason(std::string_view bytes);

// Why `bytes` are text in an encoding other than UTF-8 (a UTF-16 byte-order mark, or more
// than a quarter of the bytes invalid), as a clause, or nothing.
std::optional<std::string> otherEncodingReason(std::string_view bytes);

struct Utf8Repair {
  std::string text;                // valid UTF-8, a leading byte-order mark dropped
  std::size_t replacedBytes = 0;   // bytes that became U+FFFD
  std::size_t firstBadOffset = 0;  // the file offset of the first of them (when any)
};
Utf8Repair repairUtf8(std::string_view bytes);

}  // namespace flint::documents
