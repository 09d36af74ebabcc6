#include "engine/tokenizer/unicode_class.h"

#include <algorithm>
#include <array>

namespace flint::engine {
namespace {

std::uint8_t lookUpRange(char32_t codePoint) {
  const UnicodeClassRange* end = kUnicodeClassRanges + kUnicodeClassRangeCount;
  const UnicodeClassRange* it = std::upper_bound(
      kUnicodeClassRanges, end, codePoint,
      [](char32_t cp, const UnicodeClassRange& range) { return cp < range.first; });
  if (it == kUnicodeClassRanges) return 0;
  --it;
  return codePoint <= it->last ? it->classes : 0;
}

// The Basic Multilingual Plane holds nearly all text, so it gets a flat 64 KiB table; the
// rest goes through the range table's binary search.
const std::array<std::uint8_t, 0x10000>& bmpClasses() {
  static const auto table = [] {
    std::array<std::uint8_t, 0x10000> t{};
    for (std::size_t i = 0; i < kUnicodeClassRangeCount; ++i) {
      const UnicodeClassRange& r = kUnicodeClassRanges[i];
      for (char32_t cp = r.first; cp <= r.last && cp < 0x10000; ++cp) t[cp] = r.classes;
    }
    return t;
  }();
  return table;
}

}  // namespace

std::uint8_t unicodeClasses(char32_t codePoint) {
  if (codePoint < 0x10000) return bmpClasses()[codePoint];
  return lookUpRange(codePoint);
}

}  // namespace flint::engine
