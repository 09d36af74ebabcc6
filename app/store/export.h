#pragma once
// Conversations out of Flint: Markdown to read or share (the shown branch), JSON to keep or
// move (the shown branch or the whole tree) that import.h reads back without loss.
//
// JSON ("format": "flint.conversation", "version": 1): title, model, pinned, archived,
// created_at, updated_at (ms since the epoch), settings (the conversation's overrides), and
// messages oldest first, each with an id local to the file, its parent's id (null for a
// first message), "active" when it is the shown child, and the message's fields. Exporting
// everything wraps them: {"format": "flint.export", "version": 1, "conversations": [...]}.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace flint::store {

class Database;

inline constexpr const char* kConversationFormat = "flint.conversation";
inline constexpr const char* kExportAllFormat = "flint.export";
inline constexpr int kExportFormatVersion = 1;

struct ExportOptions {
  bool includeThinking = true;
  bool wholeTree = false;  // JSON only: every branch, not just the shown one
};

std::string exportMarkdown(Database& db, std::int64_t conversationId,
                           const ExportOptions& options = {});
nlohmann::json exportJson(Database& db, std::int64_t conversationId,
                          const ExportOptions& options = {});
// Every conversation not deleted, archived ones included.
nlohmann::json exportAllJson(Database& db, const ExportOptions& options = {});
// Pretty-printed, with invalid UTF-8 in any text replaced by U+FFFD.
std::string dumpExport(const nlohmann::json& document);

}  // namespace flint::store
