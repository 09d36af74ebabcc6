#include "app/store/database.h"

#include "app/paths.h"
#include "app/store/messages.h"
#include "app/store/migrations.h"
#include "app/store/store_error.h"
#include "engine/logging/log.h"

#include <array>
#include <fstream>
#include <utility>

namespace flint::store {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kSqliteHeader{"SQLite format 3\0", 16};

std::string quoted(const fs::path& file) {
  std::string text = "'";
  text += file.string();
  return text += "'";
}

[[noreturn]] void refuseDamaged(const fs::path& file, const std::string& why) {
  throw StoreError(StoreErrorKind::Damaged,
                   quoted(file) + " " + why + "; Flint left the file untouched");
}

bool hasSqliteHeader(const fs::path& file) {
  std::array<char, 16> head{};
  std::ifstream in(file, std::ios::binary);
  if (!in.read(head.data(), head.size())) return false;
  return std::string_view(head.data(), head.size()) == kSqliteHeader;
}

// One integer from a pragma or query without parameters.
std::int64_t queryInt(sqlite3* db, const char* sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr);
  if (rc == SQLITE_OK) rc = sqlite3_step(stmt);
  const std::int64_t value = rc == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : 0;
  sqlite3_finalize(stmt);
  if (rc != SQLITE_ROW) throwSqliteError(db, rc, std::string("reading ") + sql);
  return value;
}

// Every row of a check pragma except a lone "ok".
std::vector<std::string> checkRows(sqlite3* db, const char* sql) {
  std::vector<std::string> rows;
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr);
  while (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    std::string line;
    for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
      if (c) line += ' ';
      line += text ? text : "NULL";
    }
    rows.push_back(line);
    rc = SQLITE_OK;
  }
  sqlite3_finalize(stmt);
  if (rc != SQLITE_DONE) throwSqliteError(db, rc, std::string("running ") + sql);
  if (rows.size() == 1 && rows[0] == "ok") rows.clear();
  return rows;
}

// Runs one read of the inspection; a failure other than a lock or I/O means the file is bad.
template <typename Read>
auto readOrRefuse(const fs::path& file, Read read) {
  try {
    return read();
  } catch (const StoreError& e) {
    if (e.kind() == StoreErrorKind::Busy || e.kind() == StoreErrorKind::Io) throw;
    refuseDamaged(file, std::string("cannot be read (") + e.what() + ")");
  }
}

// Looks at an existing file through a read-only connection, so nothing (not even the header
// change of journal_mode=WAL) is written to a file Flint is going to refuse.
void inspectExisting(const fs::path& file, const OpenOptions& options) {
  if (!hasSqliteHeader(file)) refuseDamaged(file, "is not an SQLite database");
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  struct Closer {
    sqlite3* db;
    ~Closer() { sqlite3_close_v2(db); }
  } closer{db};
  if (rc != SQLITE_OK) throwSqliteError(db, rc, "opening " + quoted(file));
  sqlite3_busy_timeout(db, options.busyTimeoutMs);

  const auto applicationId =
      readOrRefuse(file, [&] { return queryInt(db, "PRAGMA application_id"); });
  const auto version = readOrRefuse(file, [&] { return queryInt(db, "PRAGMA user_version"); });
  const auto objects =
      readOrRefuse(file, [&] { return queryInt(db, "SELECT count(*) FROM sqlite_schema"); });
  if (applicationId != kApplicationId && (applicationId != 0 || version != 0 || objects != 0))
    refuseDamaged(file, "is an SQLite database of another program, not Flint's");
  if (version > kSchemaVersion)
    throw StoreError(StoreErrorKind::NewerThanApp,
                     quoted(file) + " was written by a newer Flint (schema version " +
                         std::to_string(version) + ", this Flint knows up to " +
                         std::to_string(kSchemaVersion) +
                         "); update Flint to open it. The file was left untouched");
  if (!options.checkIntegrity) return;
  const auto problems = readOrRefuse(file, [&] { return checkRows(db, "PRAGMA quick_check(1)"); });
  if (!problems.empty()) refuseDamaged(file, "is damaged (" + problems.front() + ")");
}

}  // namespace

Database Database::open(const fs::path& file, const OpenOptions& options) {
  auto log = flint::log::logger("store");
  std::error_code ec;
  if (file.has_parent_path()) fs::create_directories(file.parent_path(), ec);
  if (ec)
    throw StoreError(StoreErrorKind::Io, "cannot create the folder " + quoted(file.parent_path()) +
                                             ": " + ec.message());
  if (fs::exists(file, ec) && fs::file_size(file, ec) > 0) inspectExisting(file, options);

  sqlite3* handle = nullptr;
  const int rc =
      sqlite3_open_v2(file.c_str(), &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  Database db(handle, file);
  if (rc != SQLITE_OK) throwSqliteError(handle, rc, "opening " + quoted(file));
  sqlite3_extended_result_codes(handle, 1);
  sqlite3_busy_timeout(handle, options.busyTimeoutMs);
  // WAL: readers never block the writer. synchronous=NORMAL is crash-safe in WAL mode; only
  // a power cut can lose the last commits, never corrupt the file.
  db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;");

  const MigrationResult migration = migrate(db);
  db.exec("PRAGMA foreign_keys = ON");
  db.openReport_.fromVersion = migration.fromVersion;
  db.openReport_.toVersion = migration.toVersion;
  db.openReport_.backup = migration.backup;
  db.openReport_.interruptedMessages = markAbandonedStreamsInterrupted(db);
  if (migration.fromVersion != migration.toVersion)
    log->info("migrated {} from schema v{} to v{}", file.string(), migration.fromVersion,
              migration.toVersion);
  if (db.openReport_.interruptedMessages > 0)
    log->warn("{} reply(ies) were cut off by a crash and are now marked interrupted",
              db.openReport_.interruptedMessages);
  return db;
}

Database::Database(sqlite3* db, fs::path file) : db_(db), file_(std::move(file)) {}

Database::Database(Database&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)),
      file_(std::move(other.file_)),
      statements_(std::move(other.statements_)),
      openReport_(std::move(other.openReport_)) {
  other.statements_.clear();
}

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    close();
    db_ = std::exchange(other.db_, nullptr);
    file_ = std::move(other.file_);
    statements_ = std::move(other.statements_);
    other.statements_.clear();
    openReport_ = std::move(other.openReport_);
  }
  return *this;
}

Database::~Database() {
  close();
}

void Database::close() {
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  statements_.clear();
  if (db_) sqlite3_close_v2(std::exchange(db_, nullptr));
}

Statement Database::prepare(std::string_view sql) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) throwSqliteError(db_, rc, "preparing a query");
    it = statements_.emplace(std::string(sql), stmt).first;
  }
  return Statement(db_, it->second);
}

void Database::exec(std::string_view sql) {
  const std::string text(sql);
  char* message = nullptr;
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    sqlite3_free(message);
    throwSqliteError(db_, rc, "changing the database");
  }
}

std::int64_t Database::lastInsertId() const {
  return sqlite3_last_insert_rowid(db_);
}

int Database::changes() const {
  return sqlite3_changes(db_);
}

int Database::schemaVersion() {
  return static_cast<int>(queryInt(db_, "PRAGMA user_version"));
}

IntegrityReport Database::checkIntegrity() {
  IntegrityReport report;
  auto add = [&report](std::vector<std::string> rows, const std::string& prefix) {
    for (auto& row : rows) report.problems.push_back(prefix + row);
  };
  add(checkRows(db_, "PRAGMA integrity_check"), "");
  add(checkRows(db_, "PRAGMA foreign_key_check"), "foreign key: ");
  for (const char* fts : {"messages_fts", "chunks_fts"}) {
    // rank = 1 compares the index with the table it indexes, not only with itself.
    const std::string sql =
        std::string("INSERT INTO ") + fts + "(" + fts + ", rank) VALUES('integrity-check', 1)";
    char* message = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK)
      report.problems.push_back(std::string(fts) + ": " + (message ? message : "failed"));
    sqlite3_free(message);
  }
  report.ok = report.problems.empty();
  return report;
}

Transaction::Transaction(Database& db) : db_(db), nested_(!sqlite3_get_autocommit(db.handle())) {
  db_.exec(nested_ ? "SAVEPOINT nested" : "BEGIN IMMEDIATE");
}

Transaction::~Transaction() {
  if (done_) return;
  // Rolling back cannot usefully fail here; if it does, SQLite has already rolled back.
  sqlite3_exec(db_.handle(), nested_ ? "ROLLBACK TO nested; RELEASE nested" : "ROLLBACK", nullptr,
               nullptr, nullptr);
}

void Transaction::commit() {
  db_.exec(nested_ ? "RELEASE nested" : "COMMIT");
  done_ = true;
}

fs::path defaultDatabasePath() {
  return app::dataDir() / "flint.db";
}

}  // namespace flint::store
