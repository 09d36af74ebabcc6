// Search (ranked, with snippets, user text never parsed as syntax), export to Markdown and
// JSON, and import of that JSON back without loss.
#include "app/cli/cli_app.h"
#include "app/store/conversation_service.h"
#include "app/store/documents.h"
#include "app/store/export.h"
#include "app/store/import.h"
#include "app/store/settings.h"
#include "app/store/store_error.h"
#include "tests/app/store/store_test_support.h"

#include <sstream>

namespace flint::store {
namespace {

using nlohmann::json;
using testing::StoreTest;

std::int64_t addText(Database& db, std::int64_t chat, std::optional<std::int64_t> parent, Role role,
                     const std::string& content, const std::string& thinking = {}) {
  NewMessage m;
  m.conversationId = chat;
  m.parentId = parent;
  m.role = role;
  m.content = content;
  m.thinking = thinking;
  return addMessage(db, m);
}

TEST_F(StoreTest, SearchFindsAnswersAndThinkingRankedWithSnippets) {
  Database db = Database::open(dbPath());
  const auto chat = createConversation(db, "Rust vs C++");
  const auto q = addText(db, chat, std::nullopt, Role::User, "Which is faster?");
  const auto once = addText(db, chat, q, Role::Assistant, "Speed depends on the borrow checker",
                            "I recall benchmarks");
  const auto twice = addText(db, chat, q, Role::Assistant,
                             "The borrow checker, the borrow checker again: borrow rules.");
  const auto thought =
      addText(db, chat, q, Role::Assistant, "Short answer.", "Maybe the allocator dominates");

  const auto hits = searchMessages(db, "borrow");
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0].messageId, twice);  // more occurrences rank first
  EXPECT_EQ(hits[1].messageId, once);
  EXPECT_EQ(hits[0].conversationTitle, "Rust vs C++");
  ASSERT_FALSE(hits[0].highlights.empty());
  const auto [begin, end] = hits[0].highlights[0];
  EXPECT_EQ(hits[0].snippet.substr(begin, end - begin), "borrow");
  EXPECT_EQ(hits[0].snippet.find('\x01'), std::string::npos);

  ASSERT_EQ(searchMessages(db, "allocator").size(), 1u);
  EXPECT_EQ(searchMessages(db, "allocator")[0].messageId, thought);
  EXPECT_EQ(searchMessages(db, "alloc").size(), 1u);            // the last word is a prefix
  EXPECT_TRUE(searchMessages(db, "borrow allocator").empty());  // every word must match
  EXPECT_TRUE(searchMessages(db, "   ").empty());

  deleteConversation(db, chat, nowMs());
  EXPECT_TRUE(searchMessages(db, "borrow").empty());  // deleted chats stay out of results
}

TEST_F(StoreTest, SearchTreatsOperatorsAndSqlAsPlainText) {
  Database db = Database::open(dbPath());
  const auto chat = createConversation(db, "'; DROP TABLE conversations; --");
  addText(db, chat, std::nullopt, Role::User, "say \"NEAR\" OR AND NOT (x) * ^col:");
  for (const char* query : {"\"", "NEAR(", "OR", "AND NOT", "(x)", "*", "col:", "'; DROP",
                            "\"NEAR\"", "a\"b", "^", "-", "--"}) {
    EXPECT_NO_THROW(searchMessages(db, query)) << query;
  }
  EXPECT_EQ(searchMessages(db, "\"NEAR\" OR").size(), 1u);
  EXPECT_EQ(getConversation(db, chat).title, "'; DROP TABLE conversations; --");
  EXPECT_EQ(toFtsQuery("a \"b"), "\"a\" \"\"\"b\"*");
}

TEST_F(StoreTest, DocumentChunksAreRankedByBm25) {
  Database db = Database::open(dbPath());
  Document doc;
  doc.name = "manual.txt";
  doc.content = "whole text";
  const auto id = addDocument(db, doc,
                              {{0, 0, 0, 0, 0, "install the fan", 0},
                               {0, 0, 1, 100, 0, "the fan and the fan blade and fan speed", 0},
                               {0, 0, 2, 200, 0, "unrelated words", 0}});
  const auto chunks = searchChunks(db, id, "fan speed", 5);
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[0].ordinal, 1);
  EXPECT_EQ(getDocument(db, id).content, "whole text");
  EXPECT_EQ(listDocuments(db, std::nullopt).size(), 1u);
  deleteDocument(db, id);
  EXPECT_TRUE(searchChunks(db, id, "fan", 5).empty());
  EXPECT_TRUE(db.checkIntegrity().ok);
}

// A conversation with two branches, thinking, stats and settings.
std::int64_t richConversation(Database& db) {
  const auto chat = createConversation(db, "Export me", "deepseek-v4-pro");
  setConversationPinned(db, chat, true);
  SettingsOverrides settings;
  settings.systemPrompt = "You are terse.";
  saveConversationSettings(db, chat, settings);
  const auto q = addText(db, chat, std::nullopt, Role::User, "What is 2+2?");
  NewMessage a;
  a.conversationId = chat;
  a.parentId = q;
  a.role = Role::Assistant;
  a.content = "4";
  a.thinking = "Two plus two.";
  a.mode = ThinkingMode::High;
  a.model = "deepseek-v4-pro";
  a.sampling = {{"temperature", 0.6}};
  a.stats = {{"decode_tok_s", 30.5}, {"accept_rate", 0.81}};
  const auto first = addMessage(db, a);
  a.content = "Four.";
  a.state = MessageState::Interrupted;
  addMessage(db, a);
  addText(db, chat, first, Role::User, "And 3+3?");
  selectMessage(db, first);
  return chat;
}

TEST_F(StoreTest, MarkdownShowsTheShownBranchWithOrWithoutThinking) {
  Database db = Database::open(dbPath());
  const auto chat = richConversation(db);
  const std::string md = exportMarkdown(db, chat);
  EXPECT_EQ(md.rfind("# Export me\n", 0), 0u);
  EXPECT_NE(md.find("## User\n\nWhat is 2+2?"), std::string::npos) << md;
  EXPECT_NE(md.find("## Assistant · deepseek-v4-pro · high"), std::string::npos) << md;
  EXPECT_NE(md.find("<summary>Thinking</summary>\n\nTwo plus two."), std::string::npos);
  EXPECT_NE(md.find("And 3+3?"), std::string::npos);
  EXPECT_EQ(md.find("Four."), std::string::npos);  // the other branch is not shown
  ExportOptions noThinking;
  noThinking.includeThinking = false;
  EXPECT_EQ(exportMarkdown(db, chat, noThinking).find("Two plus two."), std::string::npos);
}

TEST_F(StoreTest, JsonRoundTripIsLossless) {
  Database db = Database::open(dbPath());
  const auto chat = richConversation(db);
  ExportOptions tree;
  tree.wholeTree = true;
  const json exported = exportJson(db, chat, tree);
  EXPECT_EQ(exported["messages"].size(), 4u);

  Database other = Database::open(path("other.db"));
  const auto ids = importJson(other, json::parse(dumpExport(exported)));
  ASSERT_EQ(ids.size(), 1u);
  EXPECT_EQ(exportJson(other, ids[0], tree), exported);
  EXPECT_EQ(exportMarkdown(other, ids[0]), exportMarkdown(db, chat));
  EXPECT_EQ(conversationSettings(other, ids[0]).systemPrompt, "You are terse.");

  const json branch = exportJson(db, chat);
  EXPECT_EQ(branch["messages"].size(), 3u);
  EXPECT_EQ(exportJson(other, importJson(other, branch)[0]), branch);
}

TEST_F(StoreTest, ExportAllImportsBackEveryConversation) {
  Database db = Database::open(dbPath());
  richConversation(db);
  const auto archived = createConversation(db, "archived");
  setConversationArchived(db, archived, true);
  const json all = exportAllJson(db);
  EXPECT_EQ(all["format"], kExportAllFormat);
  ASSERT_EQ(all["conversations"].size(), 2u);
  Database other = Database::open(path("other.db"));
  EXPECT_EQ(importJson(other, all).size(), 2u);
  EXPECT_EQ(exportAllJson(other), all);
}

TEST_F(StoreTest, BadImportNamesTheProblemAndAddsNothing) {
  Database db = Database::open(dbPath());
  const json good = exportJson(db, richConversation(db), {true, true});
  const auto before = countConversations(db);
  auto broken = [&](auto change) {
    json doc = good;
    change(doc);
    return doc;
  };
  const std::vector<std::pair<json, std::string>> cases = {
      {json::array(), "not a Flint conversation"},
      {broken([](json& d) { d["version"] = 99; }), "newer Flint"},
      {broken([](json& d) { d["messages"][1]["role"] = "bot"; }), "unknown role 'bot'"},
      {broken([](json& d) { d["messages"][1]["parent"] = 77; }), "unknown parent 77"},
      {broken([](json& d) { d["messages"][0]["parent"] = 2; }), "its own ancestor"},
      {broken([](json& d) { d["messages"][1]["id"] = 1; }), "two messages have id 1"},
      {broken([](json& d) { d["messages"][1]["content"] = 5; }), "'content' has the wrong type"},
      {broken([](json& d) { d["settings"]["thinking_mode"] = "ultra"; }), "ultra"},
  };
  for (const auto& [doc, expected] : cases) {
    try {
      importJson(db, doc);
      ADD_FAILURE() << "imported: " << expected;
    } catch (const StoreError& e) {
      EXPECT_EQ(e.kind(), StoreErrorKind::InvalidInput);
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(countConversations(db), before);
}

TEST_F(StoreTest, CliExportsAndImportsThroughTheSameDatabase) {
  std::int64_t chat = 0;
  {
    Database db = Database::open(dbPath());
    chat = richConversation(db);
  }
  std::ostringstream out;
  std::ostringstream err;
  const std::string db = dbPath().string();
  const std::string jsonFile = path("chat.json").string();
  ASSERT_EQ(cli::runCli({"export", "--conversation", std::to_string(chat), "--format", "json",
                         "--tree", "--out", jsonFile, "--db", db},
                        out, err),
            0)
      << err.str();
  ASSERT_EQ(cli::runCli({"import", jsonFile, "--db", db}, out, err), 0) << err.str();
  EXPECT_NE(out.str().find("imported 1 conversation"), std::string::npos);
  out.str("");
  ASSERT_EQ(
      cli::runCli({"export", "--conversation", std::to_string(chat), "--no-thinking", "--db", db},
                  out, err),
      0);
  EXPECT_NE(out.str().find("# Export me"), std::string::npos);
  EXPECT_EQ(out.str().find("Two plus two."), std::string::npos);
  ASSERT_EQ(cli::runCli({"export", "--all", "--out", path("md").string(), "--db", db}, out, err),
            0);
  EXPECT_TRUE(std::filesystem::exists(path("md") / (std::to_string(chat) + "-Export-me.md")));

  err.str("");
  EXPECT_EQ(cli::runCli({"export", "--db", db}, out, err), 2);  // neither a chat nor --all
  EXPECT_NE(err.str().find("--conversation ID or --all"), std::string::npos);
  EXPECT_EQ(cli::runCli({"export", "--conversation", "999", "--db", db}, out, err), 1);
  testing::writeBytes(path("bad.json"), "{\"format\": \"nope\"}");
  EXPECT_EQ(cli::runCli({"import", path("bad.json").string(), "--db", db}, out, err), 1);
}

}  // namespace
}  // namespace flint::store
