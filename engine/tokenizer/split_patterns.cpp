#include "engine/tokenizer/split_patterns.h"

#include "engine/tokenizer/unicode_class.h"
#include "engine/tokenizer/utf8.h"

#include <array>
#include <utility>

namespace flint::engine {
namespace {

// The code point at `pos` with its Unicode classes; `length` 0 past the end.
struct Char {
  char32_t cp = 0;
  std::uint8_t classes = 0;
  std::size_t length = 0;
};

Char charAt(std::string_view s, std::size_t pos) {
  Char c;
  if (pos >= s.size()) return c;
  c.cp = utf8::decodeValid(s, pos, c.length);
  c.classes = unicodeClasses(c.cp);
  return c;
}

bool hasClass(const Char& c, std::uint8_t classes) {
  return (c.classes & classes) != 0;
}
bool isCrLf(const Char& c) {
  return c.length != 0 && (c.cp == '\r' || c.cp == '\n');
}

// Advances `pos` over code points that satisfy `pred`; returns how many it passed.
template <typename Pred>
std::size_t skipWhile(std::string_view s, std::size_t& pos, Pred pred) {
  std::size_t count = 0;
  for (Char c = charAt(s, pos); c.length != 0 && pred(c); c = charAt(s, pos)) {
    pos += c.length;
    ++count;
  }
  return count;
}

// \p{N}{1,3}
std::size_t matchDigitGroup(std::string_view s, std::size_t pos) {
  std::size_t end = pos;
  for (int i = 0; i < 3; ++i) {
    const Char c = charAt(s, end);
    if (c.length == 0 || !hasClass(c, kUnicodeNumber)) break;
    end += c.length;
  }
  return end - pos;
}

// [一-龥぀-ゟ゠-ヿ]+ : CJK ideographs U+4E00..U+9FA5, hiragana and katakana U+3040..U+30FF.
std::size_t matchCjkRun(std::string_view s, std::size_t pos) {
  std::size_t end = pos;
  skipWhile(s, end, [](const Char& c) {
    return (c.cp >= 0x4E00 && c.cp <= 0x9FA5) || (c.cp >= 0x3040 && c.cp <= 0x30FF);
  });
  return end - pos;
}

bool isAsciiPunctuation(char32_t cp) {
  return cp < 0x80 && ((cp >= '!' && cp <= '/') || (cp >= ':' && cp <= '@') ||
                       (cp >= '[' && cp <= '`') || (cp >= '{' && cp <= '~'));
}
bool isAsciiLetter(char32_t cp) {
  return (cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z');
}

// [!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+
std::size_t matchPunctuatedWord(std::string_view s, std::size_t pos) {
  if (!isAsciiPunctuation(static_cast<unsigned char>(s[pos]))) return 0;
  std::size_t end = pos + 1;
  if (skipWhile(s, end, [](const Char& c) { return isAsciiLetter(c.cp); }) == 0) return 0;
  return end - pos;
}

// [^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+
std::size_t matchWord(std::string_view s, std::size_t pos) {
  auto letterOrMark = [](const Char& c) { return hasClass(c, kUnicodeLetter | kUnicodeMark); };
  const Char first = charAt(s, pos);
  std::size_t end = pos;
  const bool canPrefix =
      !isCrLf(first) && !hasClass(first, kUnicodeLetter | kUnicodePunctuation | kUnicodeSymbol);
  if (canPrefix) {
    end += first.length;
    if (skipWhile(s, end, letterOrMark) > 0) return end - pos;
    end = pos;  // backtrack: the optional prefix matches nothing
  }
  if (skipWhile(s, end, letterOrMark) == 0) return 0;
  return end - pos;
}

//  ?[\p{P}\p{S}]+[\r\n]*
std::size_t matchPunctuationRun(std::string_view s, std::size_t pos) {
  std::size_t end = pos + (s[pos] == ' ' ? 1 : 0);
  auto punctOrSymbol = [](const Char& c) {
    return hasClass(c, kUnicodePunctuation | kUnicodeSymbol);
  };
  // Backtracking the optional space cannot help: a space is not \p{P} or \p{S}.
  if (skipWhile(s, end, punctOrSymbol) == 0) return 0;
  skipWhile(s, end, isCrLf);
  return end - pos;
}

bool isSpace(const Char& c) {
  return hasClass(c, kUnicodeSpace);
}

// \s*[\r\n]+ | \s+(?!\S) | \s+ : a whitespace run, cut after its last line break if it has
// one, else before its last character when a non-space follows (that character then prefixes
// the next word), else whole.
std::size_t matchWhitespace(std::string_view s, std::size_t pos) {
  std::size_t end = pos;
  std::size_t lastBreakEnd = 0;
  std::size_t lastCharStart = pos;
  std::size_t count = 0;
  for (Char c = charAt(s, end); c.length != 0 && isSpace(c); c = charAt(s, end)) {
    lastCharStart = end;
    end += c.length;
    ++count;
    if (isCrLf(c)) lastBreakEnd = end;
  }
  if (count == 0) return 0;
  if (lastBreakEnd != 0) return lastBreakEnd - pos;
  if (end == s.size() || count == 1) return end - pos;
  return lastCharStart - pos;
}

std::size_t matchDeepSeekWord(std::string_view s, std::size_t pos) {
  for (SplitMatcher alternative :
       {matchPunctuatedWord, matchWord, matchPunctuationRun, matchWhitespace}) {
    if (std::size_t n = alternative(s, pos)) return n;
  }
  return 0;
}

constexpr std::array<std::pair<std::string_view, SplitMatcher>, 3> kKnownPatterns = {{
    {"\\p{N}{1,3}", matchDigitGroup},
    {"[\u4e00-\u9fa5\u3040-\u309f\u30a0-\u30ff]+", matchCjkRun},
    {"[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}"
     "\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+",
     matchDeepSeekWord},
}};

}  // namespace

SplitMatcher findSplitMatcher(std::string_view regex) {
  for (const auto& [source, matcher] : kKnownPatterns)
    if (source == regex) return matcher;
  return nullptr;
}

}  // namespace flint::engine
