#include "ui/document_import_job.h"

#include "app/documents/document_error.h"
#include "app/documents/prepared_document.h"
#include "app/store/database.h"
#include "engine/logging/log.h"
#include "engine/model/model_config.h"
#include "ui/engine_worker.h"

#include <exception>
#include <filesystem>
#include <utility>

namespace flint::ui {

DocumentImportOutcome runDocumentImport(const DocumentImportJob& job,
                                        const std::atomic<bool>& cancel,
                                        const std::function<void(double)>& progress) {
  DocumentImportOutcome outcome;
  const std::filesystem::path dir = job.modelDir.toStdString();
  try {
    outcome.contextLength =
        std::int64_t(flint::engine::loadModelConfig(dir / "config.json").maxPositionEmbeddings);
    outcome.tokenizer = job.tokenizer ? job.tokenizer
                                      : std::make_shared<const flint::engine::Tokenizer>(
                                            flint::engine::Tokenizer::fromModelDir(dir));
  } catch (const std::exception& e) {
    flint::log::logger("ui")->warn("documents: no tokenizer for {}: {}", dir.string(), e.what());
    outcome.error =
        QStringLiteral("Documents cannot be counted for this model: %1.").arg(errorClause(e));
    return outcome;
  }
  if (job.file.isEmpty()) return outcome;

  try {
    flint::documents::ImportOptions options;
    options.progress.onProgress = progress;
    options.progress.cancel = &cancel;
    flint::documents::PreparedDocument prepared =
        flint::documents::prepareDocument(job.file.toStdString(), *outcome.tokenizer, options);
    prepared.record.conversationId = job.conversationId;
    flint::store::Database db = flint::store::Database::open(job.databasePath.toStdString(),
                                                             flint::store::secondaryConnection());
    prepared.record.id = flint::store::addDocument(db, prepared.record, prepared.chunks);
    prepared.record.content.clear();
    outcome.stored = std::move(prepared.record);
  } catch (const flint::documents::DocumentError& e) {
    outcome.cancelled = e.kind() == flint::documents::DocumentErrorKind::Cancelled;
    if (!outcome.cancelled) outcome.error = QString::fromUtf8(e.what());
  } catch (const std::exception& e) {
    flint::log::logger("ui")->error("documents: could not store {}: {}", job.file.toStdString(),
                                    e.what());
    outcome.error = QStringLiteral("The document could not be stored: %1.").arg(errorClause(e));
  }
  return outcome;
}

}  // namespace flint::ui
