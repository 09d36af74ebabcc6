#pragma once
// Conversations: the list the sidebar shows. Deleting is two steps so the GUI can offer
// "Undo": deleteConversation hides it (deleted_at), purgeDeletedConversations removes it for
// good once the undo window has passed.
#include "app/store/records.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace flint::store {

class Database;

struct ConversationQuery {
  std::string text;              // words in the title, answers or thinking; empty: all
  bool includeArchived = false;  // archived conversations are hidden unless asked for
  int limit = 500;
  int offset = 0;
};

std::int64_t createConversation(Database& db, std::string_view title, std::string_view model = {});
// Throws StoreError NotFound. Finds deleted-but-undoable ones too.
Conversation getConversation(Database& db, std::int64_t id);
// Pinned first, then the most recently updated; deleted ones never.
std::vector<Conversation> listConversations(Database& db, const ConversationQuery& query = {});
std::int64_t countConversations(Database& db);

void renameConversation(Database& db, std::int64_t id, std::string_view title);
void setConversationPinned(Database& db, std::int64_t id, bool pinned);
void setConversationArchived(Database& db, std::int64_t id, bool archived);
void setConversationModel(Database& db, std::int64_t id, std::string_view model);
void markConversationUpdated(Database& db, std::int64_t id, std::int64_t at);

// Hides the conversation; restoreConversation brings it back until it is purged.
void deleteConversation(Database& db, std::int64_t id, std::int64_t at);
void restoreConversation(Database& db, std::int64_t id);
// Removes, with their messages, settings and documents, conversations deleted before `cutoff`.
int purgeDeletedConversations(Database& db, std::int64_t cutoff);

}  // namespace flint::store
