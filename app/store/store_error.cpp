#include "app/store/store_error.h"

namespace flint::store {

void throwSqliteError(sqlite3* db, int rc, std::string_view doing) {
  const int primary = rc & 0xff;
  StoreErrorKind kind = StoreErrorKind::Sqlite;
  if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) kind = StoreErrorKind::Damaged;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) kind = StoreErrorKind::Busy;
  if (primary == SQLITE_CANTOPEN || primary == SQLITE_IOERR || primary == SQLITE_FULL ||
      primary == SQLITE_READONLY || primary == SQLITE_PERM)
    kind = StoreErrorKind::Io;
  const char* detail = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  throw StoreError(kind, std::string(doing) + ": " + detail);
}

}  // namespace flint::store
