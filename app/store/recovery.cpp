#include "app/store/recovery.h"

#include "app/store/database.h"
#include "app/store/store_error.h"
#include "engine/logging/log.h"

#include <sqlite3.h>

#include <array>
#include <ctime>
#include <limits>

namespace flint::store {
namespace {

namespace fs = std::filesystem;

// Parents before children, so a recovered row finds what it points to.
constexpr std::array<const char*, 6> kSalvagedTables = {
    "conversations", "messages", "settings", "conversation_settings", "documents", "chunks"};
constexpr std::array<const char*, 2> kTablesWithoutRowid = {"settings", "conversation_settings"};

// Rows whose parent was lost go too (repeated: a lost message takes its whole subtree).
constexpr const char* kDropOrphans = R"sql(
DELETE FROM messages WHERE conversation_id NOT IN (SELECT id FROM conversations);
DELETE FROM conversation_settings WHERE conversation_id NOT IN (SELECT id FROM conversations);
DELETE FROM documents
  WHERE conversation_id IS NOT NULL AND conversation_id NOT IN (SELECT id FROM conversations);
DELETE FROM chunks WHERE document_id NOT IN (SELECT id FROM documents);
UPDATE conversations SET active_root_id = NULL
  WHERE active_root_id NOT IN (SELECT id FROM messages);
)sql";
constexpr const char* kDropMessagesWithoutParent =
    "DELETE FROM messages WHERE parent_id IS NOT NULL AND parent_id NOT IN (SELECT id FROM "
    "messages)";
constexpr const char* kClearLostChoices =
    "UPDATE messages SET active_child_id = NULL "
    "WHERE active_child_id NOT IN (SELECT id FROM messages)";

struct Connection {
  sqlite3* db = nullptr;
  ~Connection() { sqlite3_close_v2(db); }
};

struct Stmt {
  sqlite3_stmt* stmt = nullptr;
  ~Stmt() { sqlite3_finalize(stmt); }
};

fs::path withSuffix(const fs::path& file, const std::string& suffix) {
  fs::path p = file;
  p += suffix;
  return p;
}

fs::path asideName(const fs::path& file) {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, ".damaged-%Y%m%d-%H%M%S", &tm);
  fs::path aside = withSuffix(file, stamp);
  for (int n = 2; fs::exists(aside); ++n)
    aside = withSuffix(file, stamp + ("-" + std::to_string(n)));
  return aside;
}

// Moves the file and its WAL companions (the WAL may hold committed rows) as one.
void moveWithCompanions(const fs::path& from, const fs::path& to) {
  fs::rename(from, to);
  for (const char* companion : {"-wal", "-shm"}) {
    std::error_code ec;
    if (fs::exists(withSuffix(from, companion), ec))
      fs::rename(withSuffix(from, companion), withSuffix(to, companion));
  }
}

std::vector<std::string> columnsOf(sqlite3* db, const std::string& table) {
  std::vector<std::string> columns;
  Stmt info;
  if (sqlite3_prepare_v2(db, ("PRAGMA table_info(\"" + table + "\")").c_str(), -1, &info.stmt,
                         nullptr) != SQLITE_OK)
    return columns;
  while (sqlite3_step(info.stmt) == SQLITE_ROW)
    columns.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(info.stmt, 1)));
  return columns;
}

// Copies rows in one direction until the first unreadable one. `fromRowid` is exclusive.
// Returns the last rowid copied (rowid tables), and leaves the error, if any, in `problem`.
std::int64_t copyRows(sqlite3* source, sqlite3* target, const std::string& select,
                      const std::string& insert, std::size_t columnCount, bool byRowid,
                      std::int64_t bound, std::string& problem) {
  Stmt read;
  Stmt write;
  std::int64_t last = bound;
  if (sqlite3_prepare_v2(source, select.c_str(), -1, &read.stmt, nullptr) != SQLITE_OK ||
      sqlite3_prepare_v2(target, insert.c_str(), -1, &write.stmt, nullptr) != SQLITE_OK) {
    problem = sqlite3_errmsg(source);
    return last;
  }
  if (byRowid) sqlite3_bind_int64(read.stmt, 1, bound);
  int rc;
  while ((rc = sqlite3_step(read.stmt)) == SQLITE_ROW) {
    for (std::size_t c = 0; c < columnCount; ++c)
      sqlite3_bind_value(write.stmt, static_cast<int>(c) + 1,
                         sqlite3_column_value(read.stmt, static_cast<int>(c)));
    sqlite3_step(write.stmt);  // a row the new schema rejects is skipped, not fatal
    sqlite3_reset(write.stmt);
    if (byRowid) last = sqlite3_column_int64(read.stmt, static_cast<int>(columnCount));
  }
  if (rc != SQLITE_DONE) problem = sqlite3_errmsg(source);
  return last;
}

// Reads a table front to back; when a bad page stops that, reads it back to front as far
// as the same page, which saves the rows on both sides of the damage.
void salvageTable(sqlite3* source, sqlite3* target, const std::string& table,
                  std::vector<std::string>& problems) {
  const auto targetColumns = columnsOf(target, table);
  const auto sourceColumns = columnsOf(source, table);
  std::string list;
  std::size_t count = 0;
  for (const auto& column : targetColumns) {
    bool present = false;
    for (const auto& s : sourceColumns) present = present || s == column;
    if (!present) continue;
    list += (count++ ? ", \"" : "\"") + column + "\"";
  }
  if (count == 0) {
    problems.push_back(table + ": unreadable");
    return;
  }
  std::string placeholders;
  for (std::size_t i = 0; i < count; ++i) placeholders += i ? ", ?" : "?";
  const std::string insert =
      "INSERT OR IGNORE INTO \"" + table + "\" (" + list + ") VALUES (" + placeholders + ")";
  bool byRowid = true;
  for (const char* t : kTablesWithoutRowid) byRowid = byRowid && table != t;
  std::string problem;
  if (!byRowid) {
    copyRows(source, target, "SELECT " + list + " FROM \"" + table + "\"", insert, count, false, 0,
             problem);
  } else {
    const std::string from = " FROM \"" + table + "\" WHERE rowid ";
    const std::int64_t reached =
        copyRows(source, target, "SELECT " + list + ", rowid" + from + "> ?1 ORDER BY rowid",
                 insert, count, true, std::numeric_limits<std::int64_t>::min(), problem);
    if (!problem.empty()) {
      std::string backwardProblem;
      copyRows(source, target, "SELECT " + list + ", rowid" + from + "> ?1 ORDER BY rowid DESC",
               insert, count, true, reached, backwardProblem);
    }
  }
  if (!problem.empty()) problems.push_back(table + ": " + problem);
}

std::int64_t countRows(Database& db, const char* sql) {
  auto select = db.prepare(sql);
  select.step();
  return select.int64(0);
}

}  // namespace

std::string RecoveryReport::summary() const {
  std::string text = "The database was damaged. Flint recovered " + std::to_string(conversations) +
                     " conversation(s) with " + std::to_string(messages) + " message(s)";
  if (documents) text += " and " + std::to_string(documents) + " document(s)";
  text += "; the damaged file is kept as '" + damagedCopy.string() + "'.";
  if (!problems.empty())
    text +=
        " Some rows could not be read (" + std::to_string(problems.size()) + " table(s) damaged).";
  return text;
}

RecoveryReport recoverDamagedDatabase(const fs::path& file) {
  RecoveryReport report;
  const fs::path rebuilt = withSuffix(file, ".recovering");
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::error_code ec;
    fs::remove(withSuffix(rebuilt, suffix), ec);  // a leftover of an earlier, cut-off attempt
  }
  report.damagedCopy = asideName(file);
  try {
    moveWithCompanions(file, report.damagedCopy);
  } catch (const fs::filesystem_error& e) {
    throw StoreError(StoreErrorKind::Io,
                     "cannot move the damaged database aside: " + std::string(e.what()));
  }
  {
    OpenOptions options;
    options.checkIntegrity = false;
    Database fresh = Database::open(rebuilt, options);
    fresh.exec("PRAGMA foreign_keys = OFF");  // rows arrive before what they point to is checked
    Connection source;
    if (sqlite3_open_v2(report.damagedCopy.c_str(), &source.db, SQLITE_OPEN_READONLY, nullptr) ==
        SQLITE_OK) {
      Transaction transaction(fresh);
      for (const char* table : kSalvagedTables)
        salvageTable(source.db, fresh.handle(), table, report.problems);
      fresh.exec(kDropOrphans);
      do fresh.exec(kDropMessagesWithoutParent);
      while (fresh.changes() > 0);
      fresh.exec(kClearLostChoices);
      transaction.commit();
    } else {
      report.problems.push_back(std::string("the file: ") + sqlite3_errmsg(source.db));
    }
    fresh.exec("PRAGMA foreign_keys = ON");
    report.conversations = countRows(fresh, "SELECT count(*) FROM conversations");
    report.messages = countRows(fresh, "SELECT count(*) FROM messages");
    report.documents = countRows(fresh, "SELECT count(*) FROM documents");
  }
  std::error_code ec;
  fs::rename(rebuilt, file, ec);
  if (ec)
    throw StoreError(StoreErrorKind::Io,
                     "cannot put the recovered database in place: " + ec.message() +
                         "; it is at '" + rebuilt.string() + "'");
  flint::log::logger("store")->warn("{}", report.summary());
  for (const auto& problem : report.problems)
    flint::log::logger("store")->warn("recovery: {}", problem);
  return report;
}

}  // namespace flint::store
