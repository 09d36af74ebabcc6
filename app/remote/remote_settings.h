#pragma once
// The remote endpoint the user chose, kept in the settings table under one key
// ("remote_endpoint": {"url", "api_key", "model", "in_use"}). The API key is stored as typed,
// in plain text, like everything else in the local database (README, "Remote endpoint").
#include "app/remote/remote_client.h"

#include <optional>

namespace flint::store {
class Database;
}

namespace flint::remote {

struct StoredEndpoint {
  RemoteEndpoint endpoint;
  bool inUse = false;  // chats go there rather than to a local model folder
};

// Nothing stored, or a value this version cannot read: nullopt.
std::optional<StoredEndpoint> loadEndpoint(store::Database& db);
void saveEndpoint(store::Database& db, const StoredEndpoint& stored);

}  // namespace flint::remote
