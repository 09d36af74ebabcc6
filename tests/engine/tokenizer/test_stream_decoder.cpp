// Streaming decode: incomplete UTF-8 is held back until it completes; bytes that never can
// complete become U+FFFD at once; the stream adds up to Tokenizer::decode.
#include "engine/tokenizer/stream_decoder.h"
#include "engine/tokenizer/utf8.h"
#include "tests/engine/tokenizer/tiny_tokenizer.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace flint::engine {
namespace {

// In the tiny vocabulary every byte is its own token: byte b has id 6 + b.
TokenId byteId(unsigned char b) {
  return 6 + b;
}

TEST(StreamDecoder, HoldsBackASplitCharacterUntilItCompletes) {
  const Tokenizer tok = testing::tinyTokenizer();
  StreamDecoder decoder(tok);
  const std::string emoji = "\xF0\x9F\x98\x80";
  EXPECT_EQ(decoder.push(byteId('a')), "a");
  EXPECT_EQ(decoder.push(byteId(0xF0)), "");
  EXPECT_EQ(decoder.push(byteId(0x9F)), "");
  EXPECT_EQ(decoder.push(byteId(0x98)), "");
  EXPECT_EQ(decoder.push(byteId(0x80)), emoji);
  EXPECT_EQ(decoder.finish(), "");
}

TEST(StreamDecoder, ReplacesBytesThatCanNeverComplete) {
  const Tokenizer tok = testing::tinyTokenizer();
  StreamDecoder decoder(tok);
  const std::string r(utf8::kReplacementCharacter);
  EXPECT_EQ(decoder.push(byteId(0xFF)), r);  // never valid: replaced at once
  EXPECT_EQ(decoder.push(byteId(0xE2)), "");
  EXPECT_EQ(decoder.push(byteId(0x82)), "");
  EXPECT_EQ(decoder.push(byteId('A')), r + "A");  // the 'A' proves E2 82 can never complete
  EXPECT_EQ(decoder.push(byteId(0xC3)), "");
  EXPECT_EQ(decoder.finish(), r);  // an incomplete tail at the end
  EXPECT_EQ(decoder.finish(), "");
}

TEST(StreamDecoder, EmitsAddedTokensWhole) {
  const Tokenizer tok = testing::tinyTokenizer();
  StreamDecoder decoder(tok);
  EXPECT_EQ(decoder.push(*tok.findAddedToken("</think>")), "</think>");
}

TEST(StreamDecoder, AddsUpToDecodeOnRandomTokens) {
  const Tokenizer tok = testing::tinyTokenizer();
  std::mt19937 rng(7);
  std::uniform_int_distribution<TokenId> anyId(0, static_cast<TokenId>(tok.idLimit()) - 1);
  std::uniform_int_distribution<TokenId> highByte(byteId(0x80), byteId(0xFF));
  for (int round = 0; round < 200; ++round) {
    std::vector<TokenId> ids;
    for (int i = 0; i < 30; ++i) ids.push_back(i % 3 ? highByte(rng) : anyId(rng));
    StreamDecoder decoder(tok);
    std::string streamed;
    for (TokenId id : ids) streamed += decoder.push(id);
    streamed += decoder.finish();
    ASSERT_EQ(streamed, tok.decode(ids)) << "round " << round;
  }
}

}  // namespace
}  // namespace flint::engine
