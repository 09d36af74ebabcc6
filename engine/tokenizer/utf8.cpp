#include "engine/tokenizer/utf8.h"

namespace flint::engine::utf8 {
namespace {

// The well-formed byte sequences of Unicode Table 3-7: the lead byte fixes the length and
// the allowed range of the second byte; later bytes are always 80..BF.
struct LeadRule {
  std::size_t length;
  unsigned char secondLow;
  unsigned char secondHigh;
};

LeadRule leadRule(unsigned char lead) {
  if (lead >= 0xC2 && lead <= 0xDF) return {2, 0x80, 0xBF};
  if (lead == 0xE0) return {3, 0xA0, 0xBF};
  if (lead == 0xED) return {3, 0x80, 0x9F};
  if (lead >= 0xE1 && lead <= 0xEF) return {3, 0x80, 0xBF};
  if (lead == 0xF0) return {4, 0x90, 0xBF};
  if (lead >= 0xF1 && lead <= 0xF3) return {4, 0x80, 0xBF};
  if (lead == 0xF4) return {4, 0x80, 0x8F};
  return {0, 0, 0};  // 80..C1 and F5..FF never start a sequence
}

}  // namespace

Sequence readSequence(std::string_view text, std::size_t pos) {
  const auto lead = static_cast<unsigned char>(text[pos]);
  if (lead < 0x80) return {SequenceStatus::kComplete, lead, 1};
  const LeadRule rule = leadRule(lead);
  if (rule.length == 0) return {SequenceStatus::kInvalid, 0, 1};
  for (std::size_t i = 1; i < rule.length; ++i) {
    if (pos + i >= text.size()) return {SequenceStatus::kIncomplete, 0, i};
    const auto b = static_cast<unsigned char>(text[pos + i]);
    const unsigned char low = i == 1 ? rule.secondLow : 0x80;
    const unsigned char high = i == 1 ? rule.secondHigh : 0xBF;
    if (b < low || b > high) return {SequenceStatus::kInvalid, 0, i};
  }
  std::size_t length = 0;
  const char32_t cp = decodeValid(text, pos, length);
  return {SequenceStatus::kComplete, cp, length};
}

std::optional<std::size_t> findInvalidByte(std::string_view text) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    if (static_cast<unsigned char>(text[pos]) < 0x80) {
      ++pos;
      continue;
    }
    const Sequence seq = readSequence(text, pos);
    if (seq.status != SequenceStatus::kComplete) return pos;
    pos += seq.length;
  }
  return std::nullopt;
}

std::string replaceInvalid(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  while (pos < text.size()) {
    const Sequence seq = readSequence(text, pos);
    if (seq.status == SequenceStatus::kComplete)
      out.append(text.substr(pos, seq.length));
    else
      out.append(kReplacementCharacter);
    pos += seq.length;
  }
  return out;
}

}  // namespace flint::engine::utf8
