// libFuzzer target: the tokenizer.json loader, then encode and decode on fuzzed text.
// Input: tokenizer.json text, a NUL byte, then the text to encode. Loading may fail with a
// TokenizerError (that is the point); anything else — a crash, a sanitizer report, another
// exception, or ids from encode() that decode() does not know — is a bug.
#include "engine/tokenizer/tokenizer.h"

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string_view>
#include <vector>

namespace {

using flint::engine::SpecialTokens;
using flint::engine::Tokenizer;
using flint::engine::TokenizerError;

std::optional<Tokenizer> load(std::string_view json) {
  try {
    return Tokenizer::fromJsonText(json);
  } catch (const TokenizerError&) {
    return std::nullopt;
  }
}

void encodeAndDecode(const Tokenizer& tok, std::string_view text, SpecialTokens specials) {
  std::vector<flint::engine::TokenId> ids;
  try {
    ids = tok.encode(text, specials);
  } catch (const TokenizerError&) {
    return;  // text that is not UTF-8
  }
  try {
    tok.decode(ids);
  } catch (const TokenizerError&) {
    std::abort();  // encode produced an id the tokenizer cannot decode
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t nul = input.find('\0');
  const std::string_view json = input.substr(0, nul);
  const std::string_view text = nul == std::string_view::npos ? "" : input.substr(nul + 1);
  if (const std::optional<Tokenizer> tok = load(json)) {
    encodeAndDecode(*tok, text, SpecialTokens::kMatch);
    encodeAndDecode(*tok, text, SpecialTokens::kPlainText);
  }
  return 0;
}
