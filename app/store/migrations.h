#pragma once
// The schema's history: step N turns version N-1 into N inside one transaction that ends by
// setting PRAGMA user_version = N. A shipped step is never edited; a fix is a new step, and
// its frozen fixture joins tests/app/store_fixtures/.
#include <cstdint>
#include <filesystem>

namespace flint::store {

class Database;

// The version this build writes; a file with a higher user_version is refused.
inline constexpr int kSchemaVersion = 3;
// PRAGMA application_id of every Flint database ("Flnt"), so another program's file is told
// apart from an empty one.
inline constexpr std::int32_t kApplicationId = 0x466c6e74;

struct MigrationResult {
  int fromVersion = 0;
  int toVersion = 0;
  std::filesystem::path backup;  // made before the first step on an existing file
};

// Runs every step above the file's version. Throws StoreError; a failed step rolls back and
// leaves the file at the last completed version, with the backup beside it.
MigrationResult migrate(Database& db);

}  // namespace flint::store
