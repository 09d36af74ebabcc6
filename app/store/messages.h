#pragma once
// The message tree of a conversation. Every message has a parent (none for a first message),
// so editing a question or regenerating a reply adds a sibling instead of overwriting: each
// parent remembers which child is shown (active_child_id), and the conversation remembers
// its shown first message, so the active branch is one walk from the top.
#include "app/store/records.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace flint::store {

class Database;

struct NewMessage {
  std::int64_t conversationId = 0;
  std::optional<std::int64_t> parentId;
  Role role = Role::User;
  std::string content;
  std::string thinking;
  std::optional<ThinkingMode> mode;
  std::string model;
  nlohmann::json sampling = nlohmann::json::object();
  nlohmann::json stats = nlohmann::json::object();
  MessageState state = MessageState::Done;
  std::string error;
  std::optional<std::int64_t> createdAt;  // now when unset; import keeps the original
  std::optional<std::int64_t> updatedAt;
};

// One message of the active branch with its place among its siblings ("2/3").
struct PathEntry {
  Message message;
  int siblingIndex = 1;  // 1-based, in creation order
  int siblingCount = 1;
};

// Adds a message as the newest child of its parent (or a new first message) and makes it the
// shown one. A Streaming message records this process as its writer. Returns its id.
std::int64_t addMessage(Database& db, const NewMessage& message);
// Throws StoreError NotFound.
Message getMessage(Database& db, std::int64_t id);
// Every message of the conversation, branches included, oldest first.
std::vector<Message> conversationMessages(Database& db, std::int64_t conversationId);
// The branch shown: from the shown first message down through each shown child.
std::vector<PathEntry> activePath(Database& db, std::int64_t conversationId);
// The ids of `id` and its siblings, oldest first.
std::vector<std::int64_t> siblingIds(Database& db, std::int64_t id);
// Shows `id`: it becomes its parent's shown child, and so on up to the first message.
void selectMessage(Database& db, std::int64_t id);
// Makes `id` its parent's shown child, leaving the choices above it as they are.
void showAmongSiblings(Database& db, std::int64_t id);
// A sibling of `id` with `content` instead of its text (edit makes a branch); returns its id.
std::int64_t addEditedSibling(Database& db, std::int64_t id, std::string_view content);
// Deletes `id` and every message below it.
void deleteBranch(Database& db, std::int64_t id);

// Appends a streamed piece to a Streaming message (one statement, so the growth is durable
// the moment it returns).
void appendToStreamingMessage(Database& db, std::int64_t id, std::string_view contentDelta,
                              std::string_view thinkingDelta);
// Ends a Streaming message as Done, Interrupted or Error, with its generation stats.
void finishMessage(Database& db, std::int64_t id, MessageState state, const nlohmann::json& stats,
                   std::string_view error = {});
// Marks 'streaming' messages whose writer process is gone as 'interrupted', text kept; a live
// writer (another Flint streaming right now) is left alone. Returns how many were marked.
int markAbandonedStreamsInterrupted(Database& db);

}  // namespace flint::store
