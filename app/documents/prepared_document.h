#pragma once
// A file made ready for the store: imported, counted in the model's tokens and cut into
// chunks, as one call the UI runs off the GUI thread and then hands to store::addDocument.
#include "app/documents/chunker.h"
#include "app/documents/document_import.h"
#include "app/store/documents.h"
#include "engine/tokenizer/tokenizer.h"

#include <filesystem>
#include <vector>

namespace flint::documents {

struct PreparedDocument {
  ImportedDocument imported;
  store::Document record;  // name, source path, MIME type, sha256, size, tokens, content
  std::vector<store::Chunk> chunks;
};

// Progress: the import reports 0-50 %, counting and chunking 50-100 %. Throws DocumentError.
PreparedDocument prepareDocument(const std::filesystem::path& file,
                                 const engine::Tokenizer& tokenizer,
                                 const ImportOptions& options = {},
                                 const ChunkOptions& chunking = {});

}  // namespace flint::documents
