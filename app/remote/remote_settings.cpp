#include "app/remote/remote_settings.h"

#include "app/store/database.h"

#include <nlohmann/json.hpp>

namespace flint::remote {
namespace {

constexpr const char* kKey = "remote_endpoint";
constexpr const char* kSelect = "SELECT value FROM settings WHERE key = ?1";
constexpr const char* kDelete = "DELETE FROM settings WHERE key = ?1";
constexpr const char* kInsert = "INSERT INTO settings (key, value) VALUES (?1, ?2)";

}  // namespace

std::optional<StoredEndpoint> loadEndpoint(store::Database& db) {
  auto select = db.prepare(kSelect);
  select.bind(1, kKey);
  if (!select.step()) return std::nullopt;
  const nlohmann::json j = nlohmann::json::parse(select.text(0), nullptr, false);
  if (!j.is_object()) return std::nullopt;
  StoredEndpoint stored;
  try {
    stored.endpoint.url = j.value("url", "");
    stored.endpoint.apiKey = j.value("api_key", "");
    stored.endpoint.model = j.value("model", "");
    stored.inUse = j.value("in_use", false);
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;  // a field of the wrong type
  }
  return stored;
}

void saveEndpoint(store::Database& db, const StoredEndpoint& stored) {
  const nlohmann::json j = {{"url", stored.endpoint.url},
                            {"api_key", stored.endpoint.apiKey},
                            {"model", stored.endpoint.model},
                            {"in_use", stored.inUse}};
  store::Transaction transaction(db);
  db.prepare(kDelete).bind(1, kKey).run();
  db.prepare(kInsert).bind(1, kKey).bind(2, j.dump()).run();
  transaction.commit();
}

}  // namespace flint::remote
