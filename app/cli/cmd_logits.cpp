// flint-cli logits: float32 logits of every position of a list of ids, as JSON
// ([[...], ...]); the golden-parity tests and the reference compare against this.
#include "app/cli/cli_app.h"
#include "app/cli/model_options.h"

#include <nlohmann/json.hpp>

#include <fstream>
#include <ostream>

namespace flint::cli {

int runLogits(const ParsedArgs& args, CommandContext& ctx) {
  const auto idsText = args.value("ids");
  if (!idsText) throw UsageError("flint-cli logits: --ids is required (e.g. --ids 0,5,9)");
  const auto ids = parseIds(*idsText, "ids");
  auto engine = loadEngine(args);
  const std::size_t vocab = std::size_t(engine->config().vocabSize);
  const auto logits = engine->logits(ids, numerics(args), args.has("decode"));
  nlohmann::json rows = nlohmann::json::array();
  for (std::size_t t = 0; t < ids.size(); ++t)
    rows.push_back(std::vector<float>(logits.begin() + std::ptrdiff_t(t * vocab),
                                      logits.begin() + std::ptrdiff_t((t + 1) * vocab)));
  if (const auto out = args.value("out")) {
    std::ofstream file(*out);
    if (!file) throw CommandError("cannot write " + *out);
    file << rows.dump() << "\n";
    if (!file) throw CommandError("writing " + *out + " failed");
  } else {
    ctx.out << rows.dump() << "\n";
  }
  return 0;
}

}  // namespace flint::cli
