#pragma once
// The worker's side of attaching a document: on a thread of its own, load the model's
// tokenizer (once per model folder), then import, count and chunk the file and store it with
// its chunks through a database connection of that thread, so neither reading a large file
// nor indexing its chunks stalls the GUI thread. The DocumentListModel runs it.
#include "app/store/documents.h"
#include "engine/tokenizer/tokenizer.h"

#include <QString>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

namespace flint::ui {

struct DocumentImportJob {
  QString modelDir;
  // The tokenizer of modelDir when already loaded; none: the job loads it.
  std::shared_ptr<const flint::engine::Tokenizer> tokenizer;
  QString file;  // empty: only load the tokenizer
  QString databasePath;
  std::int64_t conversationId = 0;
};

struct DocumentImportOutcome {
  std::shared_ptr<const flint::engine::Tokenizer> tokenizer;  // none when it could not be read
  std::int64_t contextLength = 0;                             // the model's max_position_embeddings
  std::optional<flint::store::Document> stored;               // without its content
  bool cancelled = false;
  QString error;  // a sentence; empty when the job did what it was asked
};

// Runs on the calling thread; `progress` gets 0..1 from it. Never throws.
DocumentImportOutcome runDocumentImport(const DocumentImportJob& job,
                                        const std::atomic<bool>& cancel,
                                        const std::function<void(double)>& progress);

}  // namespace flint::ui
