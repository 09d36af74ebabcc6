#pragma once
// SHA-256 (FIPS 180-4), streamed: a document's fingerprint is hashed while the file is read,
// so a large file is read once. Checked against the NIST vectors in the tests.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace flint::documents {

class Sha256 {
 public:
  void update(std::string_view bytes);
  // The digest as 64 lowercase hex digits; the object is spent afterwards.
  std::string finishHex();

 private:
  void compress(const std::uint8_t* block);

  std::array<std::uint32_t, 8> state_ = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                         0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  std::array<std::uint8_t, 64> buffer_{};
  std::size_t buffered_ = 0;
  std::uint64_t totalBytes_ = 0;
};

std::string sha256Hex(std::string_view bytes);

}  // namespace flint::documents
