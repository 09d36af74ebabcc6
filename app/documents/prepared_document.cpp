#include "app/documents/prepared_document.h"

namespace flint::documents {

PreparedDocument prepareDocument(const std::filesystem::path& file,
                                 const engine::Tokenizer& tokenizer, const ImportOptions& options,
                                 const ChunkOptions& chunking) {
  const ImportProgress& progress = options.progress;
  ImportOptions importing = options;
  importing.progress.onProgress = [&](double f) { progress.report(0.5 * f); };
  PreparedDocument prepared;
  prepared.imported = importDocument(file, importing);

  ImportProgress splitting;
  splitting.cancel = progress.cancel;
  splitting.onProgress = [&](double f) { progress.report(0.5 + 0.5 * f); };
  prepared.chunks = chunkText(prepared.imported.text, tokenizer, chunking, splitting);

  store::Document& record = prepared.record;
  record.name = prepared.imported.title;
  record.sourcePath = std::filesystem::absolute(file).string();
  record.mimeType = std::string(mimeType(prepared.imported.format));
  record.sha256 = prepared.imported.fingerprint.sha256;
  record.byteSize = std::int64_t(prepared.imported.fingerprint.byteSize);
  record.tokenCount = std::int64_t(countTokens(tokenizer, prepared.imported.text));
  record.content = prepared.imported.text;
  progress.report(1.0);
  return prepared;
}

}  // namespace flint::documents
