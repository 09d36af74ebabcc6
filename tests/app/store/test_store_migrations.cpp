// Every earlier schema version, frozen in fixtures/, migrates to today's with its rows
// intact, a backup beside it, and exactly the schema a new database gets.
#include "app/store/conversations.h"
#include "app/store/database.h"
#include "app/store/messages.h"
#include "app/store/migrations.h"
#include "app/store/search.h"
#include "app/store/settings.h"
#include "tests/app/store/store_test_support.h"

#include <fmt/format.h>

#include <set>

namespace flint::store {
namespace {

using testing::execRaw;
using testing::fixture;
using testing::StoreTest;

std::set<std::string> schemaOf(const std::filesystem::path& file) {
  sqlite3* db = nullptr;
  sqlite3_open(file.c_str(), &db);
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db, "SELECT type, name, sql FROM sqlite_schema", -1, &stmt, nullptr);
  std::set<std::string> rows;
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    std::string row;
    for (int c = 0; c < 3; ++c) {
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
      row += std::string(text ? text : "") + "|";
    }
    rows.insert(row);
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return rows;
}

int userVersion(const std::filesystem::path& file) {
  sqlite3* db = nullptr;
  sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, nullptr);
  const int version = sqlite3_step(stmt) == SQLITE_ROW ? sqlite3_column_int(stmt, 0) : -1;
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return version;
}

class MigrationTest : public StoreTest, public ::testing::WithParamInterface<int> {};

TEST_P(MigrationTest, FrozenVersionMigratesWithEveryRow) {
  const int version = GetParam();
  execRaw(dbPath(), fixture(fmt::format("schema_v{}.sql", version)));
  Database db = Database::open(dbPath());

  EXPECT_EQ(db.schemaVersion(), kSchemaVersion);
  EXPECT_EQ(db.openReport().fromVersion, version);
  ASSERT_FALSE(db.openReport().backup.empty());
  EXPECT_EQ(userVersion(db.openReport().backup), version);

  const Conversation chat = getConversation(db, 1);
  EXPECT_EQ(chat.title, "Frozen v1 chat");
  EXPECT_TRUE(chat.pinned);
  const auto path = activePath(db, 1);
  ASSERT_EQ(path.size(), 2u);
  EXPECT_EQ(path[1].message.content, "Stripes deter biting flies.");
  EXPECT_EQ(path[1].message.thinking, "Consider the horsefly data.");
  EXPECT_EQ(path[1].message.mode, ThinkingMode::High);
  EXPECT_EQ(path[1].message.sampling["temperature"], 0.6);
  EXPECT_EQ(path[1].message.stats["decode_tok_s"], 41.5);
  EXPECT_EQ(path[1].siblingIndex, 1);
  EXPECT_EQ(path[1].siblingCount, 2);

  // Text written before search existed is found, thinking included.
  EXPECT_EQ(searchMessages(db, "horsefly").size(), 1u);
  EXPECT_EQ(searchMessages(db, "zebras").size(), 1u);
  // The reply cut off in the frozen file is now interrupted, its text kept.
  const Message cut = getMessage(db, 5);
  EXPECT_EQ(cut.state, MessageState::Interrupted);
  EXPECT_EQ(cut.content, "one two three");
  EXPECT_EQ(effectiveSettings(db, 1).thinkingMode, ThinkingMode::Max);
  EXPECT_EQ(effectiveSettings(db, 1).systemPrompt, "Answer like a biologist.");
  EXPECT_TRUE(db.checkIntegrity().ok);
}

TEST_P(MigrationTest, MigratedSchemaEqualsANewDatabases) {
  execRaw(dbPath(), fixture(fmt::format("schema_v{}.sql", GetParam())));
  { Database::open(dbPath()); }
  { Database::open(path("new.db")); }
  EXPECT_EQ(schemaOf(dbPath()), schemaOf(path("new.db")));
}

INSTANTIATE_TEST_SUITE_P(EveryEarlierVersion, MigrationTest, ::testing::Values(1, 2),
                         [](const auto& test) { return fmt::format("v{}", test.param); });

TEST(MigrationFixtures, OneForEveryEarlierVersion) {
  for (int v = 1; v < kSchemaVersion; ++v)
    EXPECT_FALSE(fixture(fmt::format("schema_v{}.sql", v)).empty())
        << "add tests/app/store/fixtures/schema_v" << v << ".sql and list it in MigrationTest";
}

TEST_F(StoreTest, MigrationWaitsForAnotherConnectionAndSkipsWhatItDid) {
  execRaw(dbPath(), fixture("schema_v1.sql"));
  Database first = Database::open(dbPath());
  Database second = Database::open(dbPath());  // finds it already migrated
  EXPECT_EQ(second.openReport().fromVersion, kSchemaVersion);
  EXPECT_EQ(searchMessages(second, "zebras").size(), 1u);
}

}  // namespace
}  // namespace flint::store
