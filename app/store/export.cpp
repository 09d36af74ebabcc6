#include "app/store/export.h"

#include "app/store/conversations.h"
#include "app/store/json_text.h"
#include "app/store/messages.h"
#include "app/store/settings.h"
#include "app/store/utf8.h"

#include <ctime>
#include <map>
#include <set>

namespace flint::store {
namespace {

using nlohmann::json;

std::string utcDate(std::int64_t ms) {
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M UTC", &tm);
  return text;
}

// The child shown under each message (and at the top, under key 0): the remembered choice,
// or the newest child when the choice is gone, as activePath() walks it.
std::set<std::int64_t> shownMessages(const std::vector<Message>& messages,
                                     std::int64_t activeRoot) {
  std::map<std::int64_t, std::int64_t> newestChild;
  for (const auto& m : messages) newestChild[m.parentId.value_or(0)] = m.id;  // oldest first
  std::map<std::int64_t, std::int64_t> chosen;
  for (const auto& m : messages)
    if (m.activeChildId) chosen[m.id] = *m.activeChildId;
  if (activeRoot) chosen[0] = activeRoot;
  std::set<std::int64_t> shown;
  for (const auto& [parent, child] : newestChild) {
    const auto choice = chosen.find(parent);
    shown.insert(choice != chosen.end() ? choice->second : child);
  }
  return shown;
}

json conversationJson(Database& db, std::int64_t conversationId, const ExportOptions& options) {
  const Conversation conversation = getConversation(db, conversationId);
  std::vector<Message> messages;
  std::set<std::int64_t> shown;
  if (options.wholeTree) {
    messages = conversationMessages(db, conversationId);
    const auto path = activePath(db, conversationId);
    const std::int64_t activeRoot = path.empty() ? 0 : path.front().message.id;
    shown = shownMessages(messages, activeRoot);
  } else {
    for (auto& entry : activePath(db, conversationId)) {
      shown.insert(entry.message.id);
      messages.push_back(std::move(entry.message));
    }
  }
  std::map<std::int64_t, std::int64_t> localId;  // database id -> id in the file
  json list = json::array();
  for (const auto& m : messages) {
    const std::int64_t id = static_cast<std::int64_t>(localId.size()) + 1;
    localId[m.id] = id;
    json entry = {{"id", id},
                  {"parent", m.parentId ? json(localId.at(*m.parentId)) : json(nullptr)},
                  {"active", shown.count(m.id) > 0},
                  {"role", toString(m.role)},
                  {"content", m.content}};
    if (options.includeThinking) entry["thinking"] = m.thinking;
    entry["mode"] = m.mode ? json(toString(*m.mode)) : json(nullptr);
    entry["model"] = m.model;
    entry["sampling"] = m.sampling;
    entry["stats"] = m.stats;
    entry["state"] = toString(m.state);
    if (!m.error.empty()) entry["error"] = m.error;
    entry["created_at"] = m.createdAt;
    entry["updated_at"] = m.updatedAt;
    list.push_back(std::move(entry));
  }
  return {{"format", kConversationFormat},
          {"version", kExportFormatVersion},
          {"title", conversation.title},
          {"model", conversation.model},
          {"pinned", conversation.pinned},
          {"archived", conversation.archived},
          {"created_at", conversation.createdAt},
          {"updated_at", conversation.updatedAt},
          {"settings", settingsToJson(conversationSettings(db, conversationId))},
          {"messages", std::move(list)}};
}

std::string roleHeading(const Message& m) {
  switch (m.role) {
    case Role::System:
      return "System";
    case Role::User:
      return "User";
    case Role::Assistant:
      break;
  }
  std::string heading = "Assistant";
  if (!m.model.empty()) heading += " · " + m.model;
  if (m.mode) heading += " · " + std::string(toString(*m.mode));
  return heading;
}

}  // namespace

std::string exportMarkdown(Database& db, std::int64_t conversationId,
                           const ExportOptions& options) {
  const Conversation conversation = getConversation(db, conversationId);
  std::string md = "# " + (conversation.title.empty() ? "Untitled" : conversation.title) + "\n\n";
  md += "*Exported from Flint · started " + utcDate(conversation.createdAt);
  if (!conversation.model.empty()) md += " · " + conversation.model;
  md += "*\n";
  for (const auto& entry : activePath(db, conversationId)) {
    const Message& m = entry.message;
    md += "\n## " + roleHeading(m) + "\n\n";
    if (options.includeThinking && !m.thinking.empty())
      md += "<details><summary>Thinking</summary>\n\n" + m.thinking + "\n\n</details>\n\n";
    md += m.content + "\n";
    if (m.state == MessageState::Interrupted || m.state == MessageState::Streaming)
      md += "\n*(interrupted)*\n";
    if (m.state == MessageState::Error) md += "\n*(error: " + m.error + ")*\n";
  }
  return toValidUtf8(md);
}

json exportJson(Database& db, std::int64_t conversationId, const ExportOptions& options) {
  return conversationJson(db, conversationId, options);
}

json exportAllJson(Database& db, const ExportOptions& options) {
  json conversations = json::array();
  ConversationQuery query;
  query.includeArchived = true;
  query.limit = -1;  // SQLite: no limit
  for (const auto& c : listConversations(db, query))
    conversations.push_back(conversationJson(db, c.id, options));
  return {{"format", kExportAllFormat},
          {"version", kExportFormatVersion},
          {"conversations", std::move(conversations)}};
}

std::string dumpExport(const json& document) {
  return jsonToText(document, 2) + "\n";
}

}  // namespace flint::store
