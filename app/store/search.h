#pragma once
// Full-text search over every message's answer and thinking (FTS5, BM25-ranked), with a
// snippet around the best match. What the user types is turned into quoted FTS5 phrases, so
// quotes, AND/OR/NEAR and SQL metacharacters are searched for as text, never interpreted.
#include "app/store/records.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace flint::store {

class Database;

struct SearchHit {
  std::int64_t conversationId = 0;
  std::string conversationTitle;
  std::int64_t messageId = 0;
  Role role = Role::User;
  std::string snippet;  // a few words around the match, "…" where text was cut
  // [begin, end) byte ranges of the matched words inside `snippet`.
  std::vector<std::pair<std::size_t, std::size_t>> highlights;
  double score = 0;  // BM25: lower is better; hits come best first
};

enum class WordMatch {
  AllWords,  // search as you type: every word, the last also as a prefix
  AnyWord,   // retrieval: BM25 ranks chunks by how many of the words they hold
};

// Returns an empty string when `text` holds no words.
std::string toFtsQuery(std::string_view text, WordMatch match = WordMatch::AllWords);

std::vector<SearchHit> searchMessages(Database& db, std::string_view text, int limit = 50);

}  // namespace flint::store
