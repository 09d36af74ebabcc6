// flint-cli import: conversations from a JSON export back into the database.
#include "app/cli/cli_app.h"
#include "app/store/database.h"
#include "app/store/import.h"

#include <nlohmann/json.hpp>

#include <fstream>
#include <ostream>

namespace flint::cli {

int runImport(const ParsedArgs& args, CommandContext& ctx) {
  if (args.positionals().size() != 1)
    throw UsageError("flint-cli import: give exactly one FILE.json");
  const std::string file = args.positionals()[0];
  std::ifstream in(file, std::ios::binary);
  if (!in) throw CommandError("cannot read '" + file + "'");
  const auto document = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) throw CommandError("'" + file + "' is not valid JSON");
  store::Database db = store::Database::open(
      args.has("db") ? std::filesystem::path(*args.value("db")) : store::defaultDatabasePath());
  const auto ids = store::importJson(db, document);
  ctx.out << "imported " << ids.size() << " conversation(s)\n";
  return 0;
}

}  // namespace flint::cli
