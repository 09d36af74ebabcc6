#include "app/store/search.h"

#include "app/store/database.h"

namespace flint::store {
namespace {

// Snippet markers: control bytes that chat text does not carry, cut out into `highlights`.
constexpr char kMatchBegin = '\x01';
constexpr char kMatchEnd = '\x02';

// Answers weigh twice the thinking: a word the model concluded with beats one it mulled over.
constexpr const char* kSearchMessages = R"sql(
SELECT m.conversation_id, c.title, m.id, m.role,
       snippet(messages_fts, -1, char(1), char(2), '…', 16), bm25(messages_fts, 2.0, 1.0) AS score
FROM messages_fts
JOIN messages m ON m.id = messages_fts.rowid
JOIN conversations c ON c.id = m.conversation_id
WHERE messages_fts MATCH ?1 AND c.deleted_at IS NULL
ORDER BY score LIMIT ?2)sql";

void takeHighlights(SearchHit& hit, const std::string& marked) {
  hit.snippet.reserve(marked.size());
  std::size_t begin = 0;
  for (const char c : marked) {
    if (c == kMatchBegin) {
      begin = hit.snippet.size();
    } else if (c == kMatchEnd) {
      hit.highlights.emplace_back(begin, hit.snippet.size());
    } else {
      hit.snippet.push_back(c);
    }
  }
}

// Spaces and control bytes separate words; FTS5's parser would stop at a NUL inside a
// quoted phrase and report an unterminated string.
bool separatesWords(char c) {
  return static_cast<unsigned char>(c) <= ' ';
}

}  // namespace

std::string toFtsQuery(std::string_view text, WordMatch match) {
  std::string query;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && separatesWords(text[i])) ++i;
    if (i == text.size()) break;
    if (!query.empty()) query += match == WordMatch::AllWords ? " " : " OR ";
    query += '"';
    for (; i < text.size() && !separatesWords(text[i]); ++i) {
      if (text[i] == '"') query += '"';  // FTS5 escapes a quote by doubling it
      query += text[i];
    }
    query += '"';
  }
  if (!query.empty() && match == WordMatch::AllWords) query += '*';
  return query;
}

std::vector<SearchHit> searchMessages(Database& db, std::string_view text, int limit) {
  std::vector<SearchHit> hits;
  const std::string query = toFtsQuery(text);
  if (query.empty()) return hits;
  auto select = db.prepare(kSearchMessages);
  select.bind(1, query).bind(2, limit);
  while (select.step()) {
    SearchHit hit;
    hit.conversationId = select.int64(0);
    hit.conversationTitle = select.text(1);
    hit.messageId = select.int64(2);
    hit.role = parseRole(select.text(3)).value_or(Role::User);
    takeHighlights(hit, select.text(4));
    hit.score = select.real(5);
    hits.push_back(std::move(hit));
  }
  return hits;
}

}  // namespace flint::store
