#include "app/store/conversations.h"

#include "app/store/database.h"
#include "app/store/search.h"
#include "app/store/store_error.h"

namespace flint::store {
namespace {

#define FLINT_CONVERSATION_COLUMNS \
  "c.id, c.title, c.model, c.pinned, c.archived, c.created_at, c.updated_at, c.deleted_at"

constexpr const char* kInsertConversation = R"sql(
INSERT INTO conversations (title, model, created_at, updated_at) VALUES (?1, ?2, ?3, ?3))sql";
constexpr const char* kSelectConversation =
    "SELECT " FLINT_CONVERSATION_COLUMNS " FROM conversations c WHERE c.id = ?1";
constexpr const char* kListConversations = "SELECT " FLINT_CONVERSATION_COLUMNS R"sql(
FROM conversations c
WHERE c.deleted_at IS NULL AND (?1 OR c.archived = 0)
ORDER BY c.pinned DESC, c.updated_at DESC, c.id DESC LIMIT ?2 OFFSET ?3)sql";
// A conversation matches when its title contains the text or a message matches the words.
constexpr const char* kListMatchingConversations = "SELECT " FLINT_CONVERSATION_COLUMNS R"sql(
FROM conversations c
WHERE c.deleted_at IS NULL AND (?1 OR c.archived = 0)
  AND (c.title LIKE ?4 ESCAPE '\'
       OR c.id IN (SELECT m.conversation_id FROM messages_fts
                   JOIN messages m ON m.id = messages_fts.rowid
                   WHERE messages_fts MATCH ?5))
ORDER BY c.pinned DESC, c.updated_at DESC, c.id DESC LIMIT ?2 OFFSET ?3)sql";
constexpr const char* kCountConversations =
    "SELECT count(*) FROM conversations WHERE deleted_at IS NULL";
constexpr const char* kRename =
    "UPDATE conversations SET title = ?2, updated_at = ?3 WHERE id = ?1";
constexpr const char* kSetPinned = "UPDATE conversations SET pinned = ?2 WHERE id = ?1";
constexpr const char* kSetArchived = "UPDATE conversations SET archived = ?2 WHERE id = ?1";
constexpr const char* kSetModel = "UPDATE conversations SET model = ?2 WHERE id = ?1";
constexpr const char* kSetUpdated = "UPDATE conversations SET updated_at = ?2 WHERE id = ?1";
constexpr const char* kSetDeleted = "UPDATE conversations SET deleted_at = ?2 WHERE id = ?1";
constexpr const char* kPurgeDeleted =
    "DELETE FROM conversations WHERE deleted_at IS NOT NULL AND deleted_at < ?1";

#undef FLINT_CONVERSATION_COLUMNS

Conversation readConversation(const Statement& row) {
  Conversation c;
  c.id = row.int64(0);
  c.title = row.text(1);
  c.model = row.text(2);
  c.pinned = row.int64(3) != 0;
  c.archived = row.int64(4) != 0;
  c.createdAt = row.int64(5);
  c.updatedAt = row.int64(6);
  c.deletedAt = row.optionalInt64(7);
  return c;
}

// LIKE pattern for "contains `text`", with %, _ and the escape itself taken literally.
std::string likeContaining(std::string_view text) {
  std::string pattern = "%";
  for (const char c : text) {
    if (c == '%' || c == '_' || c == '\\') pattern += '\\';
    pattern += c;
  }
  return pattern + "%";
}

// Runs an UPDATE by id; a missing id is NotFound rather than a silent no-op.
template <typename Value>
void updateById(Database& db, const char* sql, std::int64_t id, const Value& value) {
  db.prepare(sql).bind(1, id).bind(2, value).run();
  if (db.changes() == 0)
    throw StoreError(StoreErrorKind::NotFound, "no conversation with id " + std::to_string(id));
}

}  // namespace

std::int64_t createConversation(Database& db, std::string_view title, std::string_view model) {
  db.prepare(kInsertConversation).bind(1, title).bind(2, model).bind(3, nowMs()).run();
  return db.lastInsertId();
}

Conversation getConversation(Database& db, std::int64_t id) {
  auto select = db.prepare(kSelectConversation);
  select.bind(1, id);
  if (!select.step())
    throw StoreError(StoreErrorKind::NotFound, "no conversation with id " + std::to_string(id));
  return readConversation(select);
}

std::vector<Conversation> listConversations(Database& db, const ConversationQuery& query) {
  const std::string words = toFtsQuery(query.text);
  auto select = db.prepare(words.empty() ? kListConversations : kListMatchingConversations);
  select.bind(1, query.includeArchived).bind(2, query.limit).bind(3, query.offset);
  if (!words.empty()) select.bind(4, likeContaining(query.text)).bind(5, words);
  std::vector<Conversation> conversations;
  while (select.step()) conversations.push_back(readConversation(select));
  return conversations;
}

std::int64_t countConversations(Database& db) {
  auto select = db.prepare(kCountConversations);
  select.step();
  return select.int64(0);
}

void renameConversation(Database& db, std::int64_t id, std::string_view title) {
  db.prepare(kRename).bind(1, id).bind(2, title).bind(3, nowMs()).run();
  if (db.changes() == 0)
    throw StoreError(StoreErrorKind::NotFound, "no conversation with id " + std::to_string(id));
}

void setConversationPinned(Database& db, std::int64_t id, bool pinned) {
  updateById(db, kSetPinned, id, pinned);
}

void setConversationArchived(Database& db, std::int64_t id, bool archived) {
  updateById(db, kSetArchived, id, archived);
}

void setConversationModel(Database& db, std::int64_t id, std::string_view model) {
  updateById(db, kSetModel, id, model);
}

void markConversationUpdated(Database& db, std::int64_t id, std::int64_t at) {
  updateById(db, kSetUpdated, id, at);
}

void deleteConversation(Database& db, std::int64_t id, std::int64_t at) {
  updateById(db, kSetDeleted, id, at);
}

void restoreConversation(Database& db, std::int64_t id) {
  db.prepare(kSetDeleted).bind(1, id).bindNull(2).run();
  if (db.changes() == 0)
    throw StoreError(StoreErrorKind::NotFound, "no conversation with id " + std::to_string(id));
}

int purgeDeletedConversations(Database& db, std::int64_t cutoff) {
  Transaction transaction(db);
  db.prepare(kPurgeDeleted).bind(1, cutoff).run();
  const int purged = db.changes();
  transaction.commit();
  return purged;
}

}  // namespace flint::store
