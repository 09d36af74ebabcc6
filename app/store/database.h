#pragma once
// Flint's one SQLite file: opened in WAL mode with foreign keys and a busy timeout, checked
// before anything is written, migrated step by step (migrations.cpp), and cleaned of replies
// whose writer died mid-stream. A Database belongs to one thread at a time; a second thread
// opens its own (WAL lets readers run beside the one writer).
#include "app/store/statement.h"

#include <sqlite3.h>

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace flint::store {

struct OpenOptions {
  // PRAGMA quick_check before the first write, so damage is found at open, not mid-chat.
  bool checkIntegrity = true;
  // How long a write waits for another connection's lock before giving up.
  int busyTimeoutMs = 10000;
};

// Another connection of the app to the file the chat's own connection opened and checked:
// reading the whole file again for a quick_check would only cost time.
inline OpenOptions secondaryConnection() {
  OpenOptions options;
  options.checkIntegrity = false;
  return options;
}

// What opening did, for the log and for a notice to the user.
struct OpenReport {
  int fromVersion = 0;           // schema version found (0: a new file)
  int toVersion = 0;             // schema version now
  std::filesystem::path backup;  // copy made before migrating; empty when none was needed
  int interruptedMessages = 0;   // replies found 'streaming' from a dead writer, now 'interrupted'
};

struct IntegrityReport {
  bool ok = true;
  std::vector<std::string> problems;  // one line each, as SQLite words them
};

class Database {
 public:
  // Opens `file`, creating it (and its folder) when missing, and brings its schema up to date.
  // Throws StoreError: Damaged or NewerThanApp leave the file exactly as it was.
  static Database open(const std::filesystem::path& file, const OpenOptions& options = {});

  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  // A statement prepared once per connection and reused; see Statement.
  Statement prepare(std::string_view sql);
  // Runs SQL without parameters (schema, pragmas), possibly several statements.
  void exec(std::string_view sql);

  std::int64_t lastInsertId() const;
  int changes() const;
  int schemaVersion();
  // The full PRAGMA integrity_check, foreign keys, and both FTS indexes against their tables.
  IntegrityReport checkIntegrity();

  const std::filesystem::path& file() const { return file_; }
  const OpenReport& openReport() const { return openReport_; }
  sqlite3* handle() const { return db_; }

 private:
  Database(sqlite3* db, std::filesystem::path file);
  void close();

  sqlite3* db_ = nullptr;
  std::filesystem::path file_;
  std::map<std::string, sqlite3_stmt*, std::less<>> statements_;
  OpenReport openReport_;
};

// BEGIN IMMEDIATE (the write lock up front, so a reader never has to upgrade and fail with
// SQLITE_BUSY), rolled back unless commit() is called. Inside another transaction it becomes
// a savepoint, so store functions compose into one atomic change.
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Database& db_;
  bool nested_;
  bool done_ = false;
};

// <data dir>/flint.db: the file the GUI and flint-cli share.
std::filesystem::path defaultDatabasePath();

}  // namespace flint::store
