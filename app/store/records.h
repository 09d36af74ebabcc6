#pragma once
// The rows the store hands out: conversations and the messages of their tree, with the enums
// stored as words in the database ("assistant", "high", "streaming") so a person reading the
// file with sqlite3 understands it.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace flint::store {

enum class Role { System, User, Assistant };
enum class ThinkingMode { NonThink, High, Max };
enum class MessageState { Streaming, Done, Interrupted, Error };

std::string_view toString(Role role);
std::string_view toString(ThinkingMode mode);
std::string_view toString(MessageState state);
// The inverse of toString; std::nullopt for any other word.
std::optional<Role> parseRole(std::string_view word);
std::optional<ThinkingMode> parseThinkingMode(std::string_view word);
std::optional<MessageState> parseMessageState(std::string_view word);

struct Conversation {
  std::int64_t id = 0;
  std::string title;
  std::string model;  // the model id chosen for new replies
  bool pinned = false;
  bool archived = false;
  std::int64_t createdAt = 0;  // ms since the Unix epoch, as every timestamp in the store
  std::int64_t updatedAt = 0;
  std::optional<std::int64_t> deletedAt;  // set while the delete can still be undone
};

struct Message {
  std::int64_t id = 0;
  std::int64_t conversationId = 0;
  std::optional<std::int64_t> parentId;       // none for the first message of a branch
  std::optional<std::int64_t> activeChildId;  // the reply shown when the tree has branches
  Role role = Role::User;
  std::string content;   // the answer text, bytes exactly as given
  std::string thinking;  // the reasoning text, empty in non-think mode
  std::optional<ThinkingMode> mode;
  std::string model;
  nlohmann::json sampling = nlohmann::json::object();  // temperature, top_p, seed... used
  nlohmann::json stats = nlohmann::json::object();     // tok/s, accept rate... measured
  MessageState state = MessageState::Done;
  std::string error;  // why, when state is Error
  std::int64_t createdAt = 0;
  std::int64_t updatedAt = 0;
};

// Milliseconds since the Unix epoch, the unit of every timestamp column.
std::int64_t nowMs();

}  // namespace flint::store
