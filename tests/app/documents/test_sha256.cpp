#include "app/documents/sha256.h"

#include <gtest/gtest.h>

#include <string>

namespace flint::documents {
namespace {

// FIPS 180-4 / NIST CSRC example vectors.
TEST(Sha256, MatchesTheNistVectors) {
  EXPECT_EQ(sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256Hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

// Fed in pieces that straddle the 64-byte blocks, the digest is the one of the whole.
TEST(Sha256, StreamingEqualsOneShot) {
  std::string text;
  for (int i = 0; i < 1000; ++i) text += char('a' + i % 26);
  for (std::size_t piece : {1u, 7u, 63u, 64u, 65u, 200u}) {
    Sha256 hash;
    for (std::size_t at = 0; at < text.size(); at += piece)
      hash.update(std::string_view(text).substr(at, piece));
    EXPECT_EQ(hash.finishHex(), sha256Hex(text)) << piece;
  }
  // 55 and 56 bytes: the length fits in the last block, or needs one more.
  EXPECT_EQ(sha256Hex(std::string(55, 'x')).size(), 64u);
  EXPECT_NE(sha256Hex(std::string(55, 'x')), sha256Hex(std::string(56, 'x')));
}

}  // namespace
}  // namespace flint::documents
