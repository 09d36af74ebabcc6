#include "app/store/import.h"

#include "app/store/conversations.h"
#include "app/store/database.h"
#include "app/store/export.h"
#include "app/store/messages.h"
#include "app/store/settings.h"
#include "app/store/store_error.h"

#include <functional>
#include <map>
#include <string>

namespace flint::store {
namespace {

using nlohmann::json;

constexpr const char* kSetConversationTimes =
    "UPDATE conversations SET created_at = ?2, updated_at = ?3 WHERE id = ?1";

[[noreturn]] void invalid(const std::string& why) {
  throw StoreError(StoreErrorKind::InvalidInput, "cannot import: " + why);
}

struct ParsedMessage {
  std::int64_t localId = 0;
  std::optional<std::int64_t> localParent;
  bool active = false;
  NewMessage message;
};

struct ParsedConversation {
  std::string title;
  std::string model;
  bool pinned = false;
  bool archived = false;
  std::int64_t createdAt = 0;
  std::int64_t updatedAt = 0;
  SettingsOverrides settings;
  std::vector<ParsedMessage> messages;  // parents before children
};

template <typename T>
T field(const json& object, const char* key, const T& fallback, const std::string& where) {
  if (!object.contains(key) || object.at(key).is_null()) return fallback;
  try {
    return object.at(key).get<T>();
  } catch (const json::exception&) {
    invalid(where + ": '" + key + "' has the wrong type");
  }
}

ParsedMessage parseMessage(const json& j, std::size_t index) {
  const std::string where = "message " + std::to_string(index + 1);
  if (!j.is_object()) invalid(where + " is not an object");
  ParsedMessage p;
  p.localId = field<std::int64_t>(j, "id", 0, where);
  if (p.localId == 0) invalid(where + " has no id");
  if (j.contains("parent") && !j.at("parent").is_null())
    p.localParent = field<std::int64_t>(j, "parent", 0, where);
  p.active = field<bool>(j, "active", false, where);
  NewMessage& m = p.message;
  const auto role = field<std::string>(j, "role", "", where);
  m.role = parseRole(role).value_or(Role::System);
  if (!parseRole(role)) invalid(where + ": unknown role '" + role + "'");
  m.content = field<std::string>(j, "content", "", where);
  m.thinking = field<std::string>(j, "thinking", "", where);
  const auto mode = field<std::string>(j, "mode", "", where);
  if (!mode.empty()) {
    m.mode = parseThinkingMode(mode);
    if (!m.mode) invalid(where + ": unknown thinking mode '" + mode + "'");
  }
  m.model = field<std::string>(j, "model", "", where);
  m.sampling = j.value("sampling", json::object());
  m.stats = j.value("stats", json::object());
  const auto state = field<std::string>(j, "state", "done", where);
  const auto parsedState = parseMessageState(state);
  if (!parsedState) invalid(where + ": unknown state '" + state + "'");
  m.state = *parsedState == MessageState::Streaming ? MessageState::Interrupted : *parsedState;
  m.error = field<std::string>(j, "error", "", where);
  m.createdAt = field<std::int64_t>(j, "created_at", nowMs(), where);
  m.updatedAt = field<std::int64_t>(j, "updated_at", *m.createdAt, where);
  return p;
}

// Orders messages so each parent comes before its children (the export already does; a
// hand-edited file may not), rejecting unknown parents, duplicate ids and cycles.
std::vector<ParsedMessage> parentsFirst(std::vector<ParsedMessage> messages) {
  std::map<std::int64_t, std::size_t> byId;
  for (std::size_t i = 0; i < messages.size(); ++i)
    if (!byId.emplace(messages[i].localId, i).second)
      invalid("two messages have id " + std::to_string(messages[i].localId));
  std::vector<ParsedMessage> ordered;
  std::vector<int> state(messages.size(), 0);  // 0 new, 1 on the stack, 2 placed
  std::function<void(std::size_t)> place = [&](std::size_t i) {
    if (state[i] == 2) return;
    if (state[i] == 1)
      invalid("message " + std::to_string(messages[i].localId) + " is its own ancestor");
    state[i] = 1;
    if (const auto parent = messages[i].localParent) {
      const auto it = byId.find(*parent);
      if (it == byId.end())
        invalid("message " + std::to_string(messages[i].localId) + " has unknown parent " +
                std::to_string(*parent));
      place(it->second);
    }
    state[i] = 2;
    ordered.push_back(messages[i]);
  };
  for (std::size_t i = 0; i < messages.size(); ++i) place(i);
  return ordered;
}

ParsedConversation parseConversation(const json& j) {
  if (!j.is_object() || j.value("format", "") != kConversationFormat)
    invalid(std::string("not a Flint conversation (\"format\" is not \"") + kConversationFormat +
            "\")");
  if (j.value("version", 0) > kExportFormatVersion)
    invalid("the file was written by a newer Flint (format version " +
            std::to_string(j.value("version", 0)) + ")");
  ParsedConversation c;
  const std::string where = "conversation";
  c.title = field<std::string>(j, "title", "", where);
  c.model = field<std::string>(j, "model", "", where);
  c.pinned = field<bool>(j, "pinned", false, where);
  c.archived = field<bool>(j, "archived", false, where);
  c.createdAt = field<std::int64_t>(j, "created_at", nowMs(), where);
  c.updatedAt = field<std::int64_t>(j, "updated_at", c.createdAt, where);
  c.settings = settingsFromJson(j.value("settings", json::object()));
  const json messages = j.value("messages", json::array());
  if (!messages.is_array()) invalid("\"messages\" is not a list");
  std::vector<ParsedMessage> parsed;
  for (std::size_t i = 0; i < messages.size(); ++i) parsed.push_back(parseMessage(messages[i], i));
  c.messages = parentsFirst(std::move(parsed));
  return c;
}

std::int64_t insertConversation(Database& db, ParsedConversation& c) {
  const std::int64_t id = createConversation(db, c.title, c.model);
  setConversationPinned(db, id, c.pinned);
  setConversationArchived(db, id, c.archived);
  saveConversationSettings(db, id, c.settings);
  std::map<std::int64_t, std::int64_t> newId;  // id in the file -> database id
  std::vector<std::int64_t> active;
  for (auto& p : c.messages) {
    p.message.conversationId = id;
    if (p.localParent) p.message.parentId = newId.at(*p.localParent);
    newId[p.localId] = addMessage(db, p.message);
    if (p.active) active.push_back(newId[p.localId]);
  }
  // addMessage showed the newest of each set of siblings; restore the file's choices.
  for (const auto messageId : active) showAmongSiblings(db, messageId);
  db.prepare(kSetConversationTimes).bind(1, id).bind(2, c.createdAt).bind(3, c.updatedAt).run();
  return id;
}

std::vector<ParsedConversation> parseDocument(const json& document) {
  std::vector<ParsedConversation> conversations;
  if (document.is_object() && document.value("format", "") == kExportAllFormat) {
    if (document.value("version", 0) > kExportFormatVersion)
      invalid("the file was written by a newer Flint");
    const json list = document.value("conversations", json::array());
    if (!list.is_array()) invalid("\"conversations\" is not a list");
    for (const auto& c : list) conversations.push_back(parseConversation(c));
  } else {
    conversations.push_back(parseConversation(document));
  }
  return conversations;
}

}  // namespace

std::vector<std::int64_t> importJson(Database& db, const json& document) {
  std::vector<ParsedConversation> conversations;
  try {
    conversations = parseDocument(document);
  } catch (const json::exception& e) {
    invalid(std::string("a field has the wrong type (") + e.what() + ")");
  }
  Transaction transaction(db);
  std::vector<std::int64_t> ids;
  for (auto& c : conversations) ids.push_back(insertConversation(db, c));
  transaction.commit();
  return ids;
}

}  // namespace flint::store
