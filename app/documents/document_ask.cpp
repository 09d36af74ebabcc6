#include "app/documents/document_ask.h"

#include "app/store/database.h"

namespace flint::documents {

DocumentAskPlan planDocumentAsk(const engine::Engine& engine, const DocumentAsk& ask) {
  DocumentAskPlan plan;
  const engine::Tokenizer& tokenizer = engine.tokenizer();
  for (const auto& file : ask.files)
    plan.documents.push_back(prepareDocument(file, tokenizer, ask.importing, ask.chunking));

  // BM25 needs the chunks in an FTS5 index; an in-memory store is gone when this returns.
  store::Database db = store::Database::open(":memory:");
  DocumentQuestion question;
  for (PreparedDocument& d : plan.documents) {
    d.record.id = store::addDocument(db, d.record, d.chunks);
    question.documents.push_back(d.record);
  }
  question.question = ask.question;
  question.mode = ask.request.mode;
  question.answerReserve = std::size_t(ask.request.maxTokens);  // reasoning and answer together
  question.contextLength =
      ask.contextLength ? ask.contextLength : std::size_t(engine.config().maxPositionEmbeddings);
  plan.prompt = buildDocumentPrompt(db, tokenizer, question);
  plan.request = ask.request;
  plan.request.messages = plan.prompt.messages;
  return plan;
}

}  // namespace flint::documents
