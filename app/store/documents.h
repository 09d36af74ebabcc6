#pragma once
// Documents the user attaches, stored whole (V4's long context takes most of them as they
// are) and split into chunks that FTS5 ranks with BM25 when a document will not fit.
// Splitting and token counting belong to app/documents; this is where they are kept.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace flint::store {

class Database;

struct Document {
  std::int64_t id = 0;
  std::optional<std::int64_t> conversationId;  // none: in the library, for any conversation
  std::string name;
  std::string sourcePath;
  std::string mimeType;
  std::string sha256;
  std::int64_t byteSize = 0;
  std::int64_t tokenCount = 0;
  std::string content;
  std::int64_t createdAt = 0;
};

struct Chunk {
  std::int64_t id = 0;
  std::int64_t documentId = 0;
  int ordinal = 0;  // position in the document, from 0
  std::int64_t byteOffset = 0;
  std::int64_t tokenCount = 0;
  std::string text;
  double score = 0;  // BM25 from searchChunks, lower is better
};

// Stores the document and its chunks (their ids and documentId are filled in here); one
// transaction. Returns the document's id.
std::int64_t addDocument(Database& db, const Document& document, const std::vector<Chunk>& chunks);
// Throws StoreError NotFound.
Document getDocument(Database& db, std::int64_t id);
// The documents of a conversation (none: the library), oldest first, without their content.
std::vector<Document> listDocuments(Database& db, std::optional<std::int64_t> conversationId);
void deleteDocument(Database& db, std::int64_t id);
// The chunks of one document matching the words of `text`, best first.
std::vector<Chunk> searchChunks(Database& db, std::int64_t documentId, std::string_view text,
                                int limit);

}  // namespace flint::store
