#pragma once
// A fast streaming 64-bit hash for checksums and cache keys (not cryptographic). Each 8-byte
// word goes through a chain of bijections (multiply by an odd constant, xor into the state,
// rotate, multiply), so changing any one word of the input always changes the result.
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

namespace flint::engine {

class Hash64 {
 public:
  void add(std::span<const std::byte> bytes) {
    const std::byte* p = bytes.data();
    std::size_t n = bytes.size();
    length_ += n;
    while (n > 0 && pending_ > 0) {
      tail_[pending_++] = *p++;
      --n;
      if (pending_ == 8) {
        mixWord(tail_);
        pending_ = 0;
      }
    }
    for (; n >= 8; n -= 8, p += 8) mixWord(p);
    for (; n > 0; --n) tail_[pending_++] = *p++;
  }
  void add(std::string_view text) { add(std::as_bytes(std::span(text.data(), text.size()))); }
  template <typename T>
  void addValue(const T& value) {
    add(std::as_bytes(std::span<const T>(&value, 1)));
  }

  std::uint64_t value() const {
    Hash64 last = *this;
    for (std::size_t i = last.pending_; i < 8; ++i) last.tail_[i] = std::byte{0};
    if (last.pending_ > 0) last.mixWord(last.tail_);
    std::uint64_t h = last.state_ ^ (length_ * kOdd1);
    h ^= h >> 33;  // final avalanche (murmur3's fmix64)
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    return h ^ (h >> 33);
  }

 private:
  static constexpr std::uint64_t kOdd1 = 0x9e3779b97f4a7c15ULL;
  static constexpr std::uint64_t kOdd2 = 0xbf58476d1ce4e5b9ULL;

  void mixWord(const std::byte* p) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    state_ = std::rotl(state_ ^ (w * kOdd1), 29) * kOdd2;
  }

  std::uint64_t state_ = 0x243f6a8885a308d3ULL;
  std::uint64_t length_ = 0;
  std::byte tail_[8] = {};
  std::size_t pending_ = 0;
};

}  // namespace flint::engine
