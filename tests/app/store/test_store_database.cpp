// Opening: pragmas, refusing files that are not Flint's or are newer (and leaving them
// untouched), detecting damage, and recovering what still reads.
#include "app/store/conversations.h"
#include "app/store/database.h"
#include "app/store/messages.h"
#include "app/store/migrations.h"
#include "app/store/recovery.h"
#include "app/store/store_error.h"
#include "tests/app/store/store_test_support.h"

#include <fmt/format.h>

namespace flint::store {
namespace {

using testing::execRaw;
using testing::readBytes;
using testing::StoreTest;
using testing::writeBytes;

std::string pragmaText(Database& db, const char* sql) {
  auto s = db.prepare(sql);
  EXPECT_TRUE(s.step());
  return s.text(0);
}

StoreErrorKind openError(const std::filesystem::path& file, std::string* message = nullptr) {
  try {
    Database::open(file);
  } catch (const StoreError& e) {
    if (message) *message = e.what();
    return e.kind();
  }
  ADD_FAILURE() << "open succeeded";
  return StoreErrorKind::Sqlite;
}

TEST_F(StoreTest, NewDatabaseIsWalWithForeignKeysAtTheCurrentVersion) {
  Database db = Database::open(path("sub/dir/flint.db"));
  EXPECT_EQ(pragmaText(db, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(pragmaText(db, "PRAGMA foreign_keys"), "1");
  EXPECT_EQ(pragmaText(db, "PRAGMA busy_timeout"), "10000");
  EXPECT_EQ(db.schemaVersion(), kSchemaVersion);
  EXPECT_EQ(db.openReport().fromVersion, 0);
  EXPECT_TRUE(db.openReport().backup.empty());
  EXPECT_TRUE(db.checkIntegrity().ok);
}

TEST_F(StoreTest, ForeignKeysRejectAMessageOfNoConversation) {
  Database db = Database::open(dbPath());
  EXPECT_THROW(db.exec("INSERT INTO messages (conversation_id, role, created_at, updated_at) "
                       "VALUES (999, 'user', 0, 0)"),
               StoreError);
}

TEST_F(StoreTest, ReopeningKeepsRowsAndDoesNotMigrateAgain) {
  {
    Database db = Database::open(dbPath());
    createConversation(db, "kept");
  }
  Database db = Database::open(dbPath());
  EXPECT_EQ(db.openReport().fromVersion, kSchemaVersion);
  ASSERT_EQ(listConversations(db).size(), 1u);
  EXPECT_EQ(listConversations(db)[0].title, "kept");
}

TEST_F(StoreTest, NewerDatabaseIsRefusedAndLeftUntouched) {
  { Database::open(dbPath()); }
  execRaw(dbPath(), fmt::format("PRAGMA user_version = {}", kSchemaVersion + 1));
  const std::string before = readBytes(dbPath());
  std::string message;
  EXPECT_EQ(openError(dbPath(), &message), StoreErrorKind::NewerThanApp);
  EXPECT_NE(message.find("newer Flint"), std::string::npos) << message;
  EXPECT_NE(message.find("untouched"), std::string::npos) << message;
  EXPECT_EQ(readBytes(dbPath()), before);
}

TEST_F(StoreTest, NonSqliteFileIsRefusedAndLeftUntouched) {
  const std::string text = "these are my notes, not a database\n";
  writeBytes(dbPath(), text);
  std::string message;
  EXPECT_EQ(openError(dbPath(), &message), StoreErrorKind::Damaged);
  EXPECT_NE(message.find("not an SQLite database"), std::string::npos) << message;
  EXPECT_EQ(readBytes(dbPath()), text);
}

TEST_F(StoreTest, AnotherProgramsDatabaseIsRefusedAndLeftUntouched) {
  execRaw(dbPath(), "CREATE TABLE photos (id INTEGER PRIMARY KEY, path TEXT)");
  const std::string before = readBytes(dbPath());
  std::string message;
  EXPECT_EQ(openError(dbPath(), &message), StoreErrorKind::Damaged);
  EXPECT_NE(message.find("another program"), std::string::npos) << message;
  EXPECT_EQ(readBytes(dbPath()), before);
}

// Fills a database, then overwrites one page in the middle of the messages table.
std::string makeDamagedDatabase(const std::filesystem::path& file) {
  {
    Database db = Database::open(file);
    for (int c = 0; c < 40; ++c) {
      const auto id = createConversation(db, fmt::format("chat {}", c));
      NewMessage m;
      m.conversationId = id;
      m.content = std::string(3000, static_cast<char>('a' + c % 26));
      addMessage(db, m);
    }
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }
  std::string bytes = readBytes(file);
  const std::size_t page = 4096;
  const std::size_t pages = bytes.size() / page;
  for (std::size_t i = page * (pages / 2); i < page * (pages / 2 + 1); ++i)
    bytes[i] = static_cast<char>(0xA5);
  writeBytes(file, bytes);
  return bytes;
}

TEST_F(StoreTest, DamagedPageIsDetectedAtOpenAndLeftUntouched) {
  const std::string damaged = makeDamagedDatabase(dbPath());
  std::string message;
  EXPECT_EQ(openError(dbPath(), &message), StoreErrorKind::Damaged);
  EXPECT_NE(message.find("damaged"), std::string::npos) << message;
  EXPECT_EQ(readBytes(dbPath()), damaged);
}

TEST_F(StoreTest, RecoveryKeepsTheDamagedFileAndSalvagesReadableRows) {
  const std::string damaged = makeDamagedDatabase(dbPath());
  const RecoveryReport report = recoverDamagedDatabase(dbPath());
  EXPECT_EQ(readBytes(report.damagedCopy), damaged);
  EXPECT_GT(report.conversations, 0);
  EXPECT_GT(report.messages, 0);
  EXPECT_NE(report.summary().find(report.damagedCopy.string()), std::string::npos);
  Database db = Database::open(dbPath());
  EXPECT_TRUE(db.checkIntegrity().ok);
  EXPECT_EQ(countConversations(db), report.conversations);
  // Every message left has its conversation: orphans were dropped, not kept dangling.
  for (const auto& c : listConversations(db)) {
    for (const auto& m : conversationMessages(db, c.id)) EXPECT_EQ(m.conversationId, c.id);
  }
}

TEST_F(StoreTest, RecoveringANonDatabaseGivesAnEmptyOneAndKeepsTheFile) {
  writeBytes(dbPath(), "garbage");
  const RecoveryReport report = recoverDamagedDatabase(dbPath());
  EXPECT_EQ(readBytes(report.damagedCopy), "garbage");
  EXPECT_EQ(report.conversations, 0);
  EXPECT_FALSE(report.problems.empty());
  EXPECT_EQ(Database::open(dbPath()).schemaVersion(), kSchemaVersion);
}

TEST_F(StoreTest, TruncatedFileIsRefused) {
  {
    Database db = Database::open(dbPath());
    createConversation(db, "x");
  }
  execRaw(dbPath(), "PRAGMA wal_checkpoint(TRUNCATE)");
  std::string bytes = readBytes(dbPath());
  bytes.resize(bytes.size() / 2 + 100);
  writeBytes(dbPath(), bytes);
  EXPECT_EQ(openError(dbPath()), StoreErrorKind::Damaged);
  EXPECT_EQ(readBytes(dbPath()), bytes);
}

TEST_F(StoreTest, IntegrityCheckFindsADamagedSearchIndex) {
  Database db = Database::open(dbPath());
  const auto id = createConversation(db, "t");
  NewMessage m;
  m.conversationId = id;
  m.content = "indexed words";
  addMessage(db, m);
  EXPECT_TRUE(db.checkIntegrity().ok);
  // Change the text behind the index's back (triggers off): the FTS check must notice.
  db.exec("DROP TRIGGER messages_fts_update; UPDATE messages SET content = 'other words'");
  const IntegrityReport report = db.checkIntegrity();
  EXPECT_FALSE(report.ok);
  ASSERT_FALSE(report.problems.empty());
  EXPECT_NE(report.problems[0].find("messages_fts"), std::string::npos) << report.problems[0];
}

TEST_F(StoreTest, FailedTransactionRollsBackNestedWork) {
  Database db = Database::open(dbPath());
  try {
    Transaction outer(db);
    createConversation(db, "never kept");
    {
      Transaction inner(db);
      createConversation(db, "inner");
      inner.commit();
    }
    throw std::runtime_error("abandon");
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(countConversations(db), 0);
}

}  // namespace
}  // namespace flint::store
