#pragma once
// The Unicode classes the pre-tokenizer's patterns ask about (\p{L}, \p{M}, \p{N}, \p{P},
// \p{S}, \s), without ICU: a range table generated from Python's unicodedata (the version is
// kUnicodeClassVersion) by tools/tokenizer/gen_unicode_tables.py.
#include <cstddef>
#include <cstdint>

namespace flint::engine {

enum UnicodeClass : std::uint8_t {
  kUnicodeLetter = 1,       // general category L*
  kUnicodeMark = 2,         // M*
  kUnicodeNumber = 4,       // N*
  kUnicodePunctuation = 8,  // P*
  kUnicodeSymbol = 16,      // S*
  kUnicodeSpace = 32,       // White_Space (what \s means in Oniguruma)
};

struct UnicodeClassRange {
  char32_t first;
  char32_t last;
  std::uint8_t classes;
};

extern const char kUnicodeClassVersion[];
extern const UnicodeClassRange kUnicodeClassRanges[];  // sorted, disjoint
extern const std::size_t kUnicodeClassRangeCount;

// The UnicodeClass bits of one code point; 0 for code points in none of the classes.
std::uint8_t unicodeClasses(char32_t codePoint);

}  // namespace flint::engine
