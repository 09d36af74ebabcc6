// flint-cli export: conversations out of the database the GUI uses, as Markdown or JSON.
#include "app/cli/cli_app.h"
#include "app/store/conversations.h"
#include "app/store/database.h"
#include "app/store/export.h"

#include <fstream>
#include <ostream>

namespace flint::cli {
namespace {

namespace fs = std::filesystem;

void writeFile(const fs::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out.flush()) throw CommandError("cannot write '" + file.string() + "'");
}

// "12-my-question.md": the id keeps names unique, the title makes them findable.
std::string markdownFileName(const store::Conversation& c) {
  std::string slug;
  for (const char ch : c.title) {
    const bool keep =
        (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
    if (keep)
      slug += ch;
    else if (!slug.empty() && slug.back() != '-' && slug.size() < 48)
      slug += '-';
    if (slug.size() >= 48) break;
  }
  while (!slug.empty() && slug.back() == '-') slug.pop_back();
  return std::to_string(c.id) + (slug.empty() ? "" : "-" + slug) + ".md";
}

}  // namespace

int runExport(const ParsedArgs& args, CommandContext& ctx) {
  const std::string format = args.valueOr("format", "md");
  if (format != "md" && format != "json")
    throw UsageError("flint-cli export: --format must be md or json, not '" + format + "'");
  const auto conversation = args.integer("conversation");
  const bool all = args.has("all");
  if (conversation.has_value() == all)
    throw UsageError("flint-cli export: give either --conversation ID or --all");
  if (format == "md" && args.has("tree"))
    throw UsageError("flint-cli export: --tree needs --format json (Markdown shows one branch)");
  const auto out = args.value("out");
  if (format == "md" && all && !out)
    throw UsageError("flint-cli export: --all --format md needs --out DIR (one file each)");

  store::ExportOptions options;
  options.includeThinking = !args.has("no-thinking");
  options.wholeTree = args.has("tree");
  store::Database db = store::Database::open(args.has("db") ? fs::path(*args.value("db"))
                                                            : store::defaultDatabasePath());

  if (format == "md" && all) {
    fs::create_directories(*out);
    store::ConversationQuery query;
    query.includeArchived = true;
    query.limit = -1;
    int written = 0;
    for (const auto& c : store::listConversations(db, query)) {
      writeFile(fs::path(*out) / markdownFileName(c), store::exportMarkdown(db, c.id, options));
      ++written;
    }
    ctx.out << "wrote " << written << " conversation(s) to " << *out << "\n";
    return 0;
  }
  const std::string text =
      format == "md" ? store::exportMarkdown(db, *conversation, options)
                     : store::dumpExport(all ? store::exportAllJson(db, options)
                                             : store::exportJson(db, *conversation, options));
  if (out)
    writeFile(*out, text);
  else
    ctx.out << text;
  return 0;
}

}  // namespace flint::cli
