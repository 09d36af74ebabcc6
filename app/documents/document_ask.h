#pragma once
// One question about files, from paths to a request ready for Session::generate: import
// each file, keep them and their chunks in a private in-memory store, and build the prompt
// (whole documents or retrieved passages). flint-cli ask runs this; so can a test or a UI
// that has no conversation to store them in.
#include "app/documents/document_error.h"
#include "app/documents/document_prompt.h"
#include "app/documents/prepared_document.h"
#include "engine/engine.h"

#include <filesystem>
#include <string>
#include <vector>

namespace flint::documents {

struct DocumentAsk {
  std::vector<std::filesystem::path> files;
  std::string question;
  // Mode, sampling, maxTokens and drafting of the reply; its messages are filled in.
  engine::GenerateRequest request;
  std::size_t contextLength = 0;  // 0: the model's maximum
  ImportOptions importing;
  ChunkOptions chunking;
};

struct DocumentAskPlan {
  std::vector<PreparedDocument> documents;  // in the order of `files`
  DocumentPrompt prompt;
  engine::GenerateRequest request;  // the given one with prompt.messages
};

// Throws DocumentError for the first file that cannot be read (the message names it).
DocumentAskPlan planDocumentAsk(const engine::Engine& engine, const DocumentAsk& ask);

}  // namespace flint::documents
