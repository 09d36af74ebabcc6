#include "app/store/conversation_service.h"

#include "app/store/recovery.h"
#include "app/store/store_error.h"
#include "engine/logging/log.h"

#include <algorithm>
#include <utility>

namespace flint::store {

StreamingReply::StreamingReply(Database& db, std::int64_t messageId,
                               std::chrono::milliseconds flushInterval)
    : db_(&db),
      messageId_(messageId),
      flushInterval_(flushInterval),
      lastFlush_(std::chrono::steady_clock::now()) {}

StreamingReply::StreamingReply(StreamingReply&& other) noexcept
    : db_(other.db_),
      messageId_(other.messageId_),
      flushInterval_(other.flushInterval_),
      lastFlush_(other.lastFlush_),
      pendingContent_(std::move(other.pendingContent_)),
      pendingThinking_(std::move(other.pendingThinking_)),
      finished_(std::exchange(other.finished_, true)) {}

StreamingReply::~StreamingReply() {
  if (finished_) return;
  try {
    finish(MessageState::Interrupted, nlohmann::json::object());
  } catch (const std::exception& e) {
    // The next open marks it interrupted anyway; losing the last interval is all it costs.
    flint::log::logger("store")->error("could not close reply {}: {}", messageId_, e.what());
  }
}

void StreamingReply::append(std::string_view contentDelta, std::string_view thinkingDelta) {
  pendingContent_ += contentDelta;
  pendingThinking_ += thinkingDelta;
  if (std::chrono::steady_clock::now() - lastFlush_ >= flushInterval_) flush();
}

void StreamingReply::flush() {
  if (!pendingContent_.empty() || !pendingThinking_.empty())
    appendToStreamingMessage(*db_, messageId_, pendingContent_, pendingThinking_);
  pendingContent_.clear();
  pendingThinking_.clear();
  lastFlush_ = std::chrono::steady_clock::now();
}

void StreamingReply::finish(MessageState state, const nlohmann::json& stats,
                            std::string_view error) {
  finished_ = true;
  Transaction transaction(*db_);
  flush();
  finishMessage(*db_, messageId_, state, stats, error);
  transaction.commit();
}

ConversationService::ConversationService(const std::filesystem::path& file)
    : ConversationService(Database::open(file)) {}

ConversationService::ConversationService(Database db) : db_(std::move(db)) {
  purgeExpiredRemovals();
}

ConversationService ConversationService::openOrRecover(const std::filesystem::path& file,
                                                       std::string& notice) {
  try {
    return ConversationService(Database::open(file));
  } catch (const StoreError& e) {
    if (e.kind() != StoreErrorKind::Damaged) throw;
    flint::log::logger("store")->error("{}", e.what());
    notice = recoverDamagedDatabase(file).summary();
    return ConversationService(Database::open(file));
  }
}

std::int64_t ConversationService::create(std::string_view title, std::string_view model) {
  return createConversation(db_, title, model);
}

void ConversationService::rename(std::int64_t conversationId, std::string_view title) {
  renameConversation(db_, conversationId, title);
}

void ConversationService::remove(std::int64_t conversationId) {
  deleteConversation(db_, conversationId, nowMs());
}

void ConversationService::undoRemove(std::int64_t conversationId) {
  restoreConversation(db_, conversationId);
}

int ConversationService::purgeExpiredRemovals() {
  const auto window = std::chrono::duration_cast<std::chrono::milliseconds>(kUndoWindow);
  return purgeDeletedConversations(db_, nowMs() - window.count());
}

std::vector<Conversation> ConversationService::list(const ConversationQuery& query) {
  return listConversations(db_, query);
}

std::vector<SearchHit> ConversationService::search(std::string_view text, int limit) {
  return searchMessages(db_, text, limit);
}

std::vector<PathEntry> ConversationService::shownBranch(std::int64_t conversationId) {
  return activePath(db_, conversationId);
}

std::int64_t ConversationService::addUserMessage(std::int64_t conversationId,
                                                 std::string_view text) {
  const auto branch = activePath(db_, conversationId);
  NewMessage message;
  message.conversationId = conversationId;
  if (!branch.empty()) message.parentId = branch.back().message.id;
  message.role = Role::User;
  message.content = std::string(text);
  return addMessage(db_, message);
}

StreamingReply ConversationService::beginReply(std::int64_t conversationId, std::int64_t parentId,
                                               const ReplyInfo& info,
                                               std::chrono::milliseconds flushInterval) {
  NewMessage message;
  message.conversationId = conversationId;
  message.parentId = parentId;
  message.role = Role::Assistant;
  message.mode = info.mode;
  message.model = info.model;
  message.sampling = info.sampling;
  message.state = MessageState::Streaming;
  return StreamingReply(db_, addMessage(db_, message), flushInterval);
}

StreamingReply ConversationService::regenerate(std::int64_t assistantMessageId,
                                               const ReplyInfo& info,
                                               std::chrono::milliseconds flushInterval) {
  const Message previous = getMessage(db_, assistantMessageId);
  if (previous.role != Role::Assistant || !previous.parentId)
    throw StoreError(StoreErrorKind::InvalidInput,
                     "message " + std::to_string(assistantMessageId) + " is not a reply");
  return beginReply(previous.conversationId, *previous.parentId, info, flushInterval);
}

std::int64_t ConversationService::editUserMessage(std::int64_t messageId, std::string_view text) {
  return addEditedSibling(db_, messageId, text);
}

std::int64_t ConversationService::showSibling(std::int64_t messageId, int step) {
  const auto ids = siblingIds(db_, messageId);
  const auto here = std::find(ids.begin(), ids.end(), messageId) - ids.begin();
  const auto target =
      std::clamp<std::ptrdiff_t>(here + step, 0, static_cast<std::ptrdiff_t>(ids.size()) - 1);
  const std::int64_t shown = ids[static_cast<std::size_t>(target)];
  selectMessage(db_, shown);
  return shown;
}

}  // namespace flint::store
