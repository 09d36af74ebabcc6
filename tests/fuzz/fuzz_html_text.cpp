// libFuzzer target: the HTML stripper of attached documents. Any input must come back without
// a crash, a sanitizer report or a hang; text that was valid UTF-8 must stay valid UTF-8 (the
// tokenizer refuses anything else); and the text is never longer than the markup's worst case
// (each entity of at least 3 bytes becomes at most 4, each tag at most a blank line).
#include "app/documents/html_text.h"
#include "app/store/utf8.h"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view html(reinterpret_cast<const char*>(data), size);
  const std::string text = flint::documents::htmlToText(html);
  if (flint::store::isValidUtf8(html) && !flint::store::isValidUtf8(text)) std::abort();
  if (text.size() > 2 * html.size() + 4) std::abort();
  return 0;
}
