#pragma once
// Splits a document's text into passages of about `targetTokens` tokens of the model's own
// tokenizer, cutting between paragraphs where it can, else between sentences, else between
// words, so that retrieval hands the model whole passages. Passages keep their byte offset in
// the text and their exact token count; they are the store's chunks.
#include "app/documents/import_progress.h"
#include "app/store/documents.h"
#include "engine/tokenizer/tokenizer.h"

#include <cstddef>
#include <string_view>
#include <vector>

namespace flint::documents {

struct ChunkOptions {
  std::size_t targetTokens = 256;
};

// Passages in order (ordinal from 0), each the text from its byteOffset with the blank space
// around it trimmed; tokenCount is the passage's own count. A single run of text without
// spaces longer than the target is cut at a character boundary. Throws DocumentError
// Cancelled.
std::vector<store::Chunk> chunkText(std::string_view text, const engine::Tokenizer& tokenizer,
                                    const ChunkOptions& options = {},
                                    const ImportProgress& progress = {});

// Tokens of `text` as plain text (added tokens' spellings are not matched).
std::size_t countTokens(const engine::Tokenizer& tokenizer, std::string_view text);

}  // namespace flint::documents
