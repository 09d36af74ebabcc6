#include "app/store/documents.h"

#include "app/store/database.h"
#include "app/store/records.h"
#include "app/store/search.h"
#include "app/store/store_error.h"

namespace flint::store {
namespace {

constexpr const char* kInsertDocument = R"sql(
INSERT INTO documents (conversation_id, name, source_path, mime_type, sha256, byte_size,
                       token_count, content, created_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9))sql";
constexpr const char* kInsertChunk = R"sql(
INSERT INTO chunks (document_id, ordinal, byte_offset, token_count, text)
VALUES (?1, ?2, ?3, ?4, ?5))sql";
constexpr const char* kSelectDocument = R"sql(
SELECT id, conversation_id, name, source_path, mime_type, sha256, byte_size, token_count,
       created_at, content
FROM documents WHERE id = ?1)sql";
// `conversation_id IS ?1` matches NULL too: the library when no conversation is given.
constexpr const char* kListDocuments = R"sql(
SELECT id, conversation_id, name, source_path, mime_type, sha256, byte_size, token_count,
       created_at
FROM documents WHERE conversation_id IS ?1 ORDER BY id)sql";
constexpr const char* kDeleteDocument = "DELETE FROM documents WHERE id = ?1";
constexpr const char* kSearchChunks = R"sql(
SELECT c.id, c.document_id, c.ordinal, c.byte_offset, c.token_count, c.text,
       bm25(chunks_fts) AS score
FROM chunks_fts JOIN chunks c ON c.id = chunks_fts.rowid
WHERE chunks_fts MATCH ?1 AND c.document_id = ?2
ORDER BY score LIMIT ?3)sql";

Document readDocument(const Statement& row) {
  Document d;
  d.id = row.int64(0);
  d.conversationId = row.optionalInt64(1);
  d.name = row.text(2);
  d.sourcePath = row.text(3);
  d.mimeType = row.text(4);
  d.sha256 = row.text(5);
  d.byteSize = row.int64(6);
  d.tokenCount = row.int64(7);
  d.createdAt = row.int64(8);
  return d;
}

}  // namespace

std::int64_t addDocument(Database& db, const Document& document, const std::vector<Chunk>& chunks) {
  Transaction transaction(db);
  db.prepare(kInsertDocument)
      .bind(1, document.conversationId)
      .bind(2, document.name)
      .bind(3, document.sourcePath)
      .bind(4, document.mimeType)
      .bind(5, document.sha256)
      .bind(6, document.byteSize)
      .bind(7, document.tokenCount)
      .bind(8, document.content)
      .bind(9, document.createdAt ? document.createdAt : nowMs())
      .run();
  const std::int64_t id = db.lastInsertId();
  for (const auto& chunk : chunks) {
    db.prepare(kInsertChunk)
        .bind(1, id)
        .bind(2, chunk.ordinal)
        .bind(3, chunk.byteOffset)
        .bind(4, chunk.tokenCount)
        .bind(5, chunk.text)
        .run();
  }
  transaction.commit();
  return id;
}

Document getDocument(Database& db, std::int64_t id) {
  auto select = db.prepare(kSelectDocument);
  select.bind(1, id);
  if (!select.step())
    throw StoreError(StoreErrorKind::NotFound, "no document with id " + std::to_string(id));
  Document d = readDocument(select);
  d.content = select.text(9);
  return d;
}

std::vector<Document> listDocuments(Database& db, std::optional<std::int64_t> conversationId) {
  std::vector<Document> documents;
  auto select = db.prepare(kListDocuments);
  select.bind(1, conversationId);
  while (select.step()) documents.push_back(readDocument(select));
  return documents;
}

void deleteDocument(Database& db, std::int64_t id) {
  db.prepare(kDeleteDocument).bind(1, id).run();  // chunks go by ON DELETE CASCADE
}

std::vector<Chunk> searchChunks(Database& db, std::int64_t documentId, std::string_view text,
                                int limit) {
  std::vector<Chunk> chunks;
  const std::string query = toFtsQuery(text, WordMatch::AnyWord);
  if (query.empty()) return chunks;
  auto select = db.prepare(kSearchChunks);
  select.bind(1, query).bind(2, documentId).bind(3, limit);
  while (select.step()) {
    Chunk c;
    c.id = select.int64(0);
    c.documentId = select.int64(1);
    c.ordinal = static_cast<int>(select.int64(2));
    c.byteOffset = select.int64(3);
    c.tokenCount = select.int64(4);
    c.text = select.text(5);
    c.score = select.real(6);
    chunks.push_back(std::move(c));
  }
  return chunks;
}

}  // namespace flint::store
