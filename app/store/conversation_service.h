#pragma once
// What the GUI and flint-cli do with conversations, in their words: start one, ask, get a
// streamed reply persisted as it grows, edit or regenerate (branches), flip between
// branches, delete with an undo window, search. It owns one Database connection and is
// used from one thread (the GUI thread, or the CLI's main thread).
#include "app/store/conversations.h"
#include "app/store/database.h"
#include "app/store/messages.h"
#include "app/store/search.h"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace flint::store {

// The settings a reply was generated with, stored on the message.
struct ReplyInfo {
  std::optional<ThinkingMode> mode;
  std::string model;
  nlohmann::json sampling = nlohmann::json::object();
};

// Persists a streaming reply: deltas collect in memory and are written at most once per
// flush interval and at the end, so a crash loses at most one interval of text. Ending
// without finish() (an exception, a cancelled turn) keeps the text as 'interrupted'.
class StreamingReply {
 public:
  static constexpr std::chrono::milliseconds kDefaultFlushInterval{500};

  StreamingReply(Database& db, std::int64_t messageId,
                 std::chrono::milliseconds flushInterval = kDefaultFlushInterval);
  ~StreamingReply();
  StreamingReply(StreamingReply&& other) noexcept;
  StreamingReply& operator=(StreamingReply&&) = delete;

  std::int64_t messageId() const { return messageId_; }
  // Adds streamed text; writes when the flush interval has passed since the last write.
  void append(std::string_view contentDelta, std::string_view thinkingDelta = {});
  void flush();
  // Writes what is left and ends the message: Done, Interrupted (cancelled) or Error.
  void finish(MessageState state, const nlohmann::json& stats, std::string_view error = {});

 private:
  Database* db_;
  std::int64_t messageId_;
  std::chrono::milliseconds flushInterval_;
  std::chrono::steady_clock::time_point lastFlush_;
  std::string pendingContent_;
  std::string pendingThinking_;
  bool finished_ = false;
};

class ConversationService {
 public:
  // How long a deleted conversation can be brought back.
  static constexpr std::chrono::seconds kUndoWindow{30};

  // Opens `file`; purges deletes whose undo window ended (the app may have quit meanwhile).
  explicit ConversationService(const std::filesystem::path& file);
  // Like the constructor, but a damaged file is recovered (recovery.h) instead of refused;
  // `notice` then tells the user what happened. A newer-than-app file is still refused.
  static ConversationService openOrRecover(const std::filesystem::path& file, std::string& notice);

  std::int64_t create(std::string_view title, std::string_view model = {});
  void rename(std::int64_t conversationId, std::string_view title);
  void remove(std::int64_t conversationId);
  void undoRemove(std::int64_t conversationId);
  int purgeExpiredRemovals();
  std::vector<Conversation> list(const ConversationQuery& query = {});
  std::vector<SearchHit> search(std::string_view text, int limit = 50);

  // The shown branch, each message with its "2/3" place among its siblings.
  std::vector<PathEntry> shownBranch(std::int64_t conversationId);
  // Appends a user message at the end of the shown branch.
  std::int64_t addUserMessage(std::int64_t conversationId, std::string_view text);
  // Starts the assistant's reply to `parentId` (usually the newest user message).
  StreamingReply beginReply(
      std::int64_t conversationId, std::int64_t parentId, const ReplyInfo& info,
      std::chrono::milliseconds flushInterval = StreamingReply::kDefaultFlushInterval);
  // A new reply beside `assistantMessageId`, which stays as the other branch.
  StreamingReply regenerate(
      std::int64_t assistantMessageId, const ReplyInfo& info,
      std::chrono::milliseconds flushInterval = StreamingReply::kDefaultFlushInterval);
  // Edits a user message into a new branch; the reply to it is begun by the caller.
  std::int64_t editUserMessage(std::int64_t messageId, std::string_view text);
  // Shows the previous (-1) or next (+1) sibling of a message of the shown branch; returns
  // the message now shown at that place.
  std::int64_t showSibling(std::int64_t messageId, int step);

  Database& database() { return db_; }

 private:
  explicit ConversationService(Database db);
  Database db_;
};

}  // namespace flint::store
