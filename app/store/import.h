#pragma once
// Conversations into Flint from the JSON that export.h writes: one conversation or an
// export of all. Everything is checked before anything is written, and the import is one
// transaction: a bad file adds nothing.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <vector>

namespace flint::store {

class Database;

// Returns the new conversations' ids. Throws StoreError InvalidInput naming the first
// problem ("message 4: unknown role 'bot'"). A message still 'streaming' in the file comes
// in as 'interrupted': nothing is writing it here.
std::vector<std::int64_t> importJson(Database& db, const nlohmann::json& document);

}  // namespace flint::store
