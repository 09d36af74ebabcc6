#include "app/store/messages.h"

#include "app/store/conversations.h"
#include "app/store/database.h"
#include "app/store/json_text.h"
#include "app/store/store_error.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

namespace flint::store {
namespace {

#define FLINT_MESSAGE_COLUMNS                                                                \
  "m.id, m.conversation_id, m.parent_id, m.active_child_id, m.role, m.content, m.thinking, " \
  "m.mode, m.model, m.sampling, m.stats, m.state, m.error, m.created_at, m.updated_at"
constexpr int kMessageColumnCount = 15;

constexpr const char* kInsertMessage = R"sql(
INSERT INTO messages (conversation_id, parent_id, role, content, thinking, mode, model,
                      sampling, stats, state, error, writer_pid, created_at, updated_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14))sql";
constexpr const char* kSelectMessage =
    "SELECT " FLINT_MESSAGE_COLUMNS " FROM messages m WHERE m.id = ?1";
constexpr const char* kSelectConversationMessages =
    "SELECT " FLINT_MESSAGE_COLUMNS " FROM messages m WHERE m.conversation_id = ?1 ORDER BY m.id";
// Walks the shown branch; where no child was chosen (its choice was deleted), the newest
// child is shown. Siblings share a parent, or are first messages of the same conversation.
constexpr const char* kSelectActivePath = R"sql(
WITH RECURSIVE path(id, depth) AS (
  SELECT coalesce(c.active_root_id, (SELECT max(r.id) FROM messages r
                                     WHERE r.conversation_id = c.id AND r.parent_id IS NULL)), 0
    FROM conversations c WHERE c.id = ?1
  UNION ALL
  SELECT coalesce(m.active_child_id, (SELECT max(k.id) FROM messages k WHERE k.parent_id = m.id)),
         path.depth + 1
    FROM messages m JOIN path ON m.id = path.id
)
SELECT )sql" FLINT_MESSAGE_COLUMNS R"sql(,
  (SELECT count(*) FROM messages s
    WHERE s.conversation_id = m.conversation_id AND s.parent_id IS m.parent_id AND s.id <= m.id),
  (SELECT count(*) FROM messages s
    WHERE s.conversation_id = m.conversation_id AND s.parent_id IS m.parent_id)
FROM path JOIN messages m ON m.id = path.id ORDER BY path.depth)sql";
constexpr const char* kSelectSiblings = R"sql(
SELECT s.id FROM messages m JOIN messages s
  ON s.conversation_id = m.conversation_id AND s.parent_id IS m.parent_id
WHERE m.id = ?1 ORDER BY s.id)sql";
constexpr const char* kSelectParent =
    "SELECT conversation_id, parent_id FROM messages WHERE id = ?1";
constexpr const char* kSetActiveChild = "UPDATE messages SET active_child_id = ?2 WHERE id = ?1";
constexpr const char* kSetActiveRoot = "UPDATE conversations SET active_root_id = ?2 WHERE id = ?1";
constexpr const char* kDeleteMessage = "DELETE FROM messages WHERE id = ?1";
constexpr const char* kAppendStreaming = R"sql(
UPDATE messages SET content = content || ?2, thinking = thinking || ?3, updated_at = ?4
WHERE id = ?1 AND state = 'streaming')sql";
constexpr const char* kFinishMessage = R"sql(
UPDATE messages SET state = ?2, stats = ?3, error = ?4, writer_pid = NULL, updated_at = ?5
WHERE id = ?1)sql";
constexpr const char* kSelectStreaming =
    "SELECT id, writer_pid FROM messages WHERE state = 'streaming'";
constexpr const char* kMarkInterrupted =
    "UPDATE messages SET state = 'interrupted', writer_pid = NULL "
    "WHERE id = ?1 AND state = 'streaming'";

#undef FLINT_MESSAGE_COLUMNS

Message readMessage(const Statement& row) {
  Message m;
  m.id = row.int64(0);
  m.conversationId = row.int64(1);
  m.parentId = row.optionalInt64(2);
  m.activeChildId = row.optionalInt64(3);
  m.role = parseRole(row.text(4)).value_or(Role::User);
  m.content = row.text(5);
  m.thinking = row.text(6);
  if (!row.isNull(7)) m.mode = parseThinkingMode(row.text(7));
  m.model = row.text(8);
  m.sampling = jsonFromText(row.text(9));
  m.stats = jsonFromText(row.text(10));
  m.state = parseMessageState(row.text(11)).value_or(MessageState::Done);
  m.error = row.text(12);
  m.createdAt = row.int64(13);
  m.updatedAt = row.int64(14);
  return m;
}

// Whether process `pid` still runs (EPERM: it does, under another user).
bool processAlive(std::int64_t pid) {
  if (pid <= 0) return false;
  if (pid == getpid()) return true;
  return kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

[[noreturn]] void throwNoMessage(std::int64_t id) {
  throw StoreError(StoreErrorKind::NotFound, "no message with id " + std::to_string(id));
}

// Makes `id` the shown child of its parent (or the shown first message); returns the parent.
std::optional<std::int64_t> showAndGetParent(Database& db, std::int64_t id) {
  std::int64_t conversationId = 0;
  std::optional<std::int64_t> parentId;
  {
    auto parent = db.prepare(kSelectParent);
    parent.bind(1, id);
    if (!parent.step()) throwNoMessage(id);
    conversationId = parent.int64(0);
    parentId = parent.optionalInt64(1);
  }
  if (parentId)
    db.prepare(kSetActiveChild).bind(1, *parentId).bind(2, id).run();
  else
    db.prepare(kSetActiveRoot).bind(1, conversationId).bind(2, id).run();
  return parentId;
}

}  // namespace

std::int64_t addMessage(Database& db, const NewMessage& message) {
  Transaction transaction(db);
  if (message.parentId) {
    auto parent = db.prepare(kSelectParent);
    parent.bind(1, *message.parentId);
    if (!parent.step()) throwNoMessage(*message.parentId);
    if (parent.int64(0) != message.conversationId)
      throw StoreError(
          StoreErrorKind::InvalidInput,
          "message " + std::to_string(*message.parentId) + " belongs to another conversation");
  }
  getConversation(db, message.conversationId);  // throws NotFound
  const std::int64_t now = nowMs();
  const std::int64_t created = message.createdAt.value_or(now);
  auto insert = db.prepare(kInsertMessage);
  insert.bind(1, message.conversationId)
      .bind(2, message.parentId)
      .bind(3, toString(message.role))
      .bind(4, message.content)
      .bind(5, message.thinking)
      .bind(7, message.model)
      .bind(8, jsonToText(message.sampling))
      .bind(9, jsonToText(message.stats))
      .bind(10, toString(message.state))
      .bind(11, message.error)
      .bind(13, created)
      .bind(14, message.updatedAt.value_or(created));
  if (message.mode) insert.bind(6, toString(*message.mode));
  if (message.state == MessageState::Streaming) insert.bind(12, std::int64_t{getpid()});
  insert.run();
  const std::int64_t id = db.lastInsertId();
  showAndGetParent(db, id);
  markConversationUpdated(db, message.conversationId, now);
  transaction.commit();
  return id;
}

Message getMessage(Database& db, std::int64_t id) {
  auto select = db.prepare(kSelectMessage);
  select.bind(1, id);
  if (!select.step()) throwNoMessage(id);
  return readMessage(select);
}

std::vector<Message> conversationMessages(Database& db, std::int64_t conversationId) {
  std::vector<Message> messages;
  auto select = db.prepare(kSelectConversationMessages);
  select.bind(1, conversationId);
  while (select.step()) messages.push_back(readMessage(select));
  return messages;
}

std::vector<PathEntry> activePath(Database& db, std::int64_t conversationId) {
  std::vector<PathEntry> path;
  auto select = db.prepare(kSelectActivePath);
  select.bind(1, conversationId);
  while (select.step()) {
    path.push_back({readMessage(select), static_cast<int>(select.int64(kMessageColumnCount)),
                    static_cast<int>(select.int64(kMessageColumnCount + 1))});
  }
  return path;
}

std::vector<std::int64_t> siblingIds(Database& db, std::int64_t id) {
  std::vector<std::int64_t> ids;
  auto select = db.prepare(kSelectSiblings);
  select.bind(1, id);
  while (select.step()) ids.push_back(select.int64(0));
  if (ids.empty()) throwNoMessage(id);
  return ids;
}

void selectMessage(Database& db, std::int64_t id) {
  Transaction transaction(db);
  for (std::optional<std::int64_t> current = id; current;) current = showAndGetParent(db, *current);
  transaction.commit();
}

void showAmongSiblings(Database& db, std::int64_t id) {
  showAndGetParent(db, id);
}

std::int64_t addEditedSibling(Database& db, std::int64_t id, std::string_view content) {
  const Message original = getMessage(db, id);
  NewMessage edited;
  edited.conversationId = original.conversationId;
  edited.parentId = original.parentId;
  edited.role = original.role;
  edited.content = std::string(content);
  edited.mode = original.mode;
  edited.model = original.model;
  edited.sampling = original.sampling;
  return addMessage(db, edited);
}

void deleteBranch(Database& db, std::int64_t id) {
  Transaction transaction(db);
  const Message message = getMessage(db, id);
  db.prepare(kDeleteMessage).bind(1, id).run();  // children go by ON DELETE CASCADE
  markConversationUpdated(db, message.conversationId, nowMs());
  transaction.commit();
}

void appendToStreamingMessage(Database& db, std::int64_t id, std::string_view contentDelta,
                              std::string_view thinkingDelta) {
  db.prepare(kAppendStreaming)
      .bind(1, id)
      .bind(2, contentDelta)
      .bind(3, thinkingDelta)
      .bind(4, nowMs())
      .run();
  if (db.changes() == 0) {
    const Message message = getMessage(db, id);  // throws NotFound
    throw StoreError(StoreErrorKind::InvalidInput, "message " + std::to_string(id) + " is " +
                                                       std::string(toString(message.state)) +
                                                       ", not streaming");
  }
}

void finishMessage(Database& db, std::int64_t id, MessageState state, const nlohmann::json& stats,
                   std::string_view error) {
  Transaction transaction(db);
  const Message message = getMessage(db, id);
  const std::int64_t now = nowMs();
  db.prepare(kFinishMessage)
      .bind(1, id)
      .bind(2, toString(state))
      .bind(3, jsonToText(stats))
      .bind(4, error)
      .bind(5, now)
      .run();
  markConversationUpdated(db, message.conversationId, now);
  transaction.commit();
}

int markAbandonedStreamsInterrupted(Database& db) {
  std::vector<std::int64_t> abandoned;
  {
    auto select = db.prepare(kSelectStreaming);
    while (select.step())
      if (select.isNull(1) || !processAlive(select.int64(1))) abandoned.push_back(select.int64(0));
  }
  if (abandoned.empty()) return 0;
  Transaction transaction(db);
  int marked = 0;
  for (const auto id : abandoned) {
    db.prepare(kMarkInterrupted).bind(1, id).run();
    marked += db.changes();
  }
  transaction.commit();
  return marked;
}

}  // namespace flint::store
