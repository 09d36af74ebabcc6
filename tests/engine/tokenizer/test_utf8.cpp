// UTF-8 reading (maximal-subpart replacement) and the generated Unicode class table.
#include "engine/tokenizer/unicode_class.h"
#include "engine/tokenizer/utf8.h"

#include <gtest/gtest.h>

namespace flint::engine {
namespace {

using utf8::SequenceStatus;

TEST(Utf8, ReadsWellFormedSequencesOfEveryLength) {
  for (auto [text, cp] : {std::pair<std::string_view, char32_t>{"A", U'A'},
                          {"\xC3\xA9", U'\u00E9'},
                          {"\xE4\xBD\xA0", U'\u4F60'},
                          {"\xF0\x9F\x98\x80", U'\U0001F600'}}) {
    const utf8::Sequence seq = utf8::readSequence(text, 0);
    EXPECT_EQ(seq.status, SequenceStatus::kComplete) << text;
    EXPECT_EQ(seq.codePoint, cp);
    EXPECT_EQ(seq.length, text.size());
  }
}

TEST(Utf8, TellsIncompleteFromInvalid) {
  EXPECT_EQ(utf8::readSequence("\xF0\x9F\x98", 0).status, SequenceStatus::kIncomplete);
  EXPECT_EQ(utf8::readSequence("\xE2", 0).status, SequenceStatus::kIncomplete);
  // Overlong, surrogate and above-U+10FFFF forms can never complete.
  EXPECT_EQ(utf8::readSequence("\xE0\x80", 0).status, SequenceStatus::kInvalid);
  EXPECT_EQ(utf8::readSequence("\xED\xA0", 0).status, SequenceStatus::kInvalid);
  EXPECT_EQ(utf8::readSequence("\xF4\x90", 0).status, SequenceStatus::kInvalid);
  EXPECT_EQ(utf8::readSequence("\xC0", 0).status, SequenceStatus::kInvalid);
  EXPECT_EQ(utf8::readSequence("\x80", 0).status, SequenceStatus::kInvalid);
}

TEST(Utf8, ReplacesEachMaximalSubpartWithOneReplacementCharacter) {
  const std::string r(utf8::kReplacementCharacter);
  EXPECT_EQ(utf8::replaceInvalid("abc"), "abc");
  EXPECT_EQ(utf8::replaceInvalid("a\xE2\x82"
                                 "b"),
            "a" + r + "b");                                    // truncated 3-byte: one
  EXPECT_EQ(utf8::replaceInvalid("\xED\xA0\x80"), r + r + r);  // surrogate: one per byte
  EXPECT_EQ(utf8::replaceInvalid("\xF0\x9F\x98"), r);          // incomplete tail: one
  EXPECT_EQ(utf8::replaceInvalid("\xFF\xFE"), r + r);
}

TEST(Utf8, FindsTheFirstInvalidByte) {
  EXPECT_FALSE(utf8::findInvalidByte("h\xC3\xA9llo \xF0\x9F\x98\x80"));
  EXPECT_EQ(utf8::findInvalidByte("ok\xC3"), 2u);
  EXPECT_EQ(utf8::findInvalidByte("abc\x80"), 3u);
}

TEST(UnicodeClass, ClassifiesAcrossPlanes) {
  EXPECT_EQ(unicodeClasses(U'a'), kUnicodeLetter);
  EXPECT_EQ(unicodeClasses(U'\u4F60'), kUnicodeLetter);
  EXPECT_EQ(unicodeClasses(U'\U00020000'), kUnicodeLetter);  // CJK extension B
  EXPECT_EQ(unicodeClasses(U'\u0301'), kUnicodeMark);
  EXPECT_EQ(unicodeClasses(U'\u0663'), kUnicodeNumber);  // Arabic-Indic three
  EXPECT_EQ(unicodeClasses(U'\u2167'), kUnicodeNumber);  // Roman numeral eight (Nl)
  EXPECT_EQ(unicodeClasses(U'\u3002'), kUnicodePunctuation);
  EXPECT_EQ(unicodeClasses(U'\u20AC'), kUnicodeSymbol);
  EXPECT_EQ(unicodeClasses(U'\U0001F600'), kUnicodeSymbol);
  EXPECT_EQ(unicodeClasses(U' '), kUnicodeSpace);
  EXPECT_EQ(unicodeClasses(U'\u3000'), kUnicodeSpace);
  EXPECT_EQ(unicodeClasses(U'\u0085'), kUnicodeSpace);  // White_Space, as in Oniguruma
  EXPECT_EQ(unicodeClasses(U'\uFEFF'), 0);              // not White_Space (JavaScript's \s has it)
  EXPECT_EQ(unicodeClasses(U'\u0378'), 0);              // unassigned
  EXPECT_EQ(unicodeClasses(U'\U0010FFFF'), 0);
  EXPECT_STREQ(kUnicodeClassVersion, "14.0.0");
}

}  // namespace
}  // namespace flint::engine
