// flint-cli detokenize: the text of comma-separated ids, printed byte for byte (no newline
// added), bytes that do not form UTF-8 as U+FFFD.
#include "app/cli/cli_app.h"
#include "engine/tokenizer/tokenizer.h"

#include <charconv>
#include <ostream>

namespace flint::cli {
namespace {

std::vector<engine::TokenId> parseIds(const std::string& list) {
  std::vector<engine::TokenId> ids;
  std::size_t start = 0;
  while (start <= list.size()) {
    const std::size_t end = std::min(list.find(',', start), list.size());
    const std::string_view item(list.data() + start, end - start);
    engine::TokenId id = 0;
    const auto [ptr, ec] = std::from_chars(item.data(), item.data() + item.size(), id);
    if (item.empty() || ec != std::errc() || ptr != item.data() + item.size())
      throw UsageError("flint-cli detokenize: '" + std::string(item) +
                       "' in --ids is not a token id");
    ids.push_back(id);
    start = end + 1;
  }
  return ids;
}

}  // namespace

int runDetokenize(const ParsedArgs& args, CommandContext& ctx) {
  const auto list = args.value("ids");
  if (!list) throw UsageError("flint-cli detokenize: --ids 1,2,3 is required");
  const std::vector<engine::TokenId> ids = parseIds(*list);
  ctx.out << loadModelTokenizer(args).decode(ids);
  return 0;
}

}  // namespace flint::cli
