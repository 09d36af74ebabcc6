#include "app/documents/text_sniff.h"

#include "app/store/utf8.h"

#include <algorithm>

namespace flint::documents {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";
constexpr std::size_t kSniffBytes = 64 * 1024;
// Text has tabs, line breaks, form feeds and the odd terminal escape; binary formats have
// control bytes everywhere. One in fifty is far above any text file seen in practice.
constexpr double kMaxControlShare = 0.02;
constexpr double kMaxInvalidShare = 0.25;

bool isControl(unsigned char c) {
  return (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v' && c != 0x1B) ||
         c == 0x7F;
}

bool startsWith(std::string_view bytes, std::string_view prefix) {
  return bytes.substr(0, prefix.size()) == prefix;
}

}  // namespace

std::optional<std::string> binaryReason(std::string_view bytes) {
  if (startsWith(bytes, "\xFF\xFE") || startsWith(bytes, "\xFE\xFF")) return std::nullopt;
  if (const std::size_t nul = bytes.find('\0'); nul != std::string_view::npos)
    return "it holds NUL bytes (the first at byte " + std::to_string(nul) + ")";
  const std::string_view head = bytes.substr(0, kSniffBytes);
  const auto controls = std::count_if(
      head.begin(), head.end(), [](char c) { return isControl(static_cast<unsigned char>(c)); });
  if (!head.empty() && double(controls) / double(head.size()) > kMaxControlShare)
    return "it holds " + std::to_string(controls) + " control characters in its first " +
           std::to_string(head.size()) + " bytes";
  return std::nullopt;
}

std::optional<std::string> otherEncodingReason(std::string_view bytes) {
  if (startsWith(bytes, "\xFF\xFE") || startsWith(bytes, "\xFE\xFF"))
    return "it is UTF-16 text (it starts with a UTF-16 byte-order mark)";
  std::size_t invalid = 0;
  for (std::size_t i = 0; i < bytes.size();) {
    const std::size_t length = store::utf8SequenceLength(bytes, i);
    invalid += length == 0;
    i += std::max<std::size_t>(length, 1);
  }
  if (!bytes.empty() && double(invalid) / double(bytes.size()) > kMaxInvalidShare)
    return "more than a quarter of its bytes are not UTF-8 (" + std::to_string(invalid) + " of " +
           std::to_string(bytes.size()) + ")";
  return std::nullopt;
}

Utf8Repair repairUtf8(std::string_view bytes) {
  Utf8Repair repair;
  std::size_t start = startsWith(bytes, kUtf8Bom) ? kUtf8Bom.size() : 0;
  repair.text.reserve(bytes.size() - start);
  for (std::size_t i = start; i < bytes.size();) {
    const std::size_t length = store::utf8SequenceLength(bytes, i);
    if (length == 0) {
      if (repair.replacedBytes++ == 0) repair.firstBadOffset = i;
      repair.text += kReplacement;
      ++i;
    } else {
      repair.text.append(bytes, i, length);
      i += length;
    }
  }
  return repair;
}

}  // namespace flint::documents
