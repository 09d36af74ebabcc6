#pragma once
// The one exception the store throws. `kind` lets callers react (offer recovery for a damaged
// file, tell the user to update for a newer one) without parsing the message, which is
// already one sentence fit to show.
#include <sqlite3.h>

#include <stdexcept>
#include <string>
#include <string_view>

namespace flint::store {

enum class StoreErrorKind {
  Damaged,       // not SQLite, not Flint's, or failed the integrity check; the file is untouched
  NewerThanApp,  // written by a newer Flint; refused and untouched
  Busy,          // another writer held the lock past the busy timeout
  NotFound,      // no row with that id
  InvalidInput,  // a value the schema cannot hold (bad JSON, unknown enum name)
  Io,            // the file or its folder could not be read or written
  Sqlite,        // any other SQLite failure
};

class StoreError : public std::runtime_error {
 public:
  StoreError(StoreErrorKind kind, const std::string& message)
      : std::runtime_error(message), kind_(kind) {}
  StoreErrorKind kind() const { return kind_; }

 private:
  StoreErrorKind kind_;
};

// Throws a StoreError for SQLite result `rc`, naming what was being done.
[[noreturn]] void throwSqliteError(sqlite3* db, int rc, std::string_view doing);

}  // namespace flint::store
