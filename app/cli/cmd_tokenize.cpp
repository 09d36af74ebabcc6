// flint-cli tokenize: the ids of a text under a model's tokenizer.json. Added tokens such as
// "<｜User｜>" are matched by default, as the reference tokenizer does; --no-special encodes
// them as plain text, the way Flint encodes everything a user types.
#include "app/cli/cli_app.h"
#include "app/paths.h"
#include "engine/tokenizer/tokenizer.h"

#include <nlohmann/json.hpp>

#include <ostream>

namespace flint::cli {

engine::Tokenizer loadModelTokenizer(const ParsedArgs& args) {
  const auto dir = args.value("model");
  return engine::Tokenizer::fromModelDir(dir ? std::filesystem::path(*dir)
                                             : app::defaultModelDir());
}

int runTokenize(const ParsedArgs& args, CommandContext& ctx) {
  if (args.positionals().size() != 1)
    throw UsageError("flint-cli tokenize: give exactly one TEXT (quote it if it has spaces)");
  const engine::Tokenizer tokenizer = loadModelTokenizer(args);
  const auto specials =
      args.has("no-special") ? engine::SpecialTokens::kPlainText : engine::SpecialTokens::kMatch;
  const std::vector<engine::TokenId> ids = tokenizer.encode(args.positionals()[0], specials);
  if (args.has("json")) {
    nlohmann::json pieces = nlohmann::json::array();
    for (engine::TokenId id : ids) pieces.push_back(tokenizer.decode(std::span(&id, 1)));
    ctx.out << nlohmann::json{{"ids", ids}, {"tokens", pieces}}.dump() << "\n";
    return 0;
  }
  for (std::size_t i = 0; i < ids.size(); ++i) ctx.out << (i ? "," : "") << ids[i];
  ctx.out << "\n";
  return 0;
}

}  // namespace flint::cli
