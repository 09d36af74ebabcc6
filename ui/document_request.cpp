#include "ui/document_request.h"

#include "app/store/documents.h"

#include <QCoreApplication>
#include <QStringList>

#include <algorithm>
#include <iterator>
#include <utility>

namespace flint::ui {

std::optional<flint::documents::DocumentPrompt> putDocuments(
    flint::store::Database& db, const flint::engine::Tokenizer& tokenizer,
    std::size_t contextLength, std::int64_t conversationId,
    const std::vector<flint::store::PathEntry>& history, flint::engine::GenerateRequest& request) {
  const std::vector<flint::store::Document> listed =
      flint::store::listDocuments(db, conversationId);
  if (listed.empty()) return std::nullopt;
  const std::int64_t attachedAt =
      std::min_element(listed.begin(), listed.end(), [](const auto& a, const auto& b) {
        return a.createdAt < b.createdAt;
      })->createdAt;
  const auto question = std::find_if(history.begin(), history.end(), [&](const auto& entry) {
    return entry.message.role == flint::store::Role::User && entry.message.createdAt >= attachedAt;
  });
  if (question == history.end()) return std::nullopt;
  const std::size_t at =
      request.messages.size() - history.size() + std::size_t(question - history.begin());

  flint::documents::DocumentQuestion asked;
  for (const flint::store::Document& d : listed)
    asked.documents.push_back(flint::store::getDocument(db, d.id));
  asked.question = request.messages[at].content;
  asked.history.assign(request.messages.begin(), request.messages.begin() + std::ptrdiff_t(at));
  asked.mode = request.mode;
  asked.contextLength = contextLength;
  flint::documents::DocumentPrompt prompt =
      flint::documents::buildDocumentPrompt(db, tokenizer, asked);

  std::vector<flint::engine::ChatMessage> messages = prompt.messages;
  std::move(request.messages.begin() + std::ptrdiff_t(at) + 1, request.messages.end(),
            std::back_inserter(messages));
  request.messages = std::move(messages);
  return prompt;
}

QString retrievalNote(const flint::documents::DocumentPrompt& prompt) {
  if (!prompt.retrieval) return {};
  if (prompt.passages.empty())
    return QCoreApplication::translate(
        "ChatController",
        "The documents are too long to read whole and no passage matches the question, so it "
        "was asked without them.");
  QStringList cited;
  for (const flint::documents::Passage& p : prompt.passages)
    cited.append(QStringLiteral("[%1, passage %2]")
                     .arg(QString::fromUtf8(p.title.data(), qsizetype(p.title.size())))
                     .arg(p.number));
  return QCoreApplication::translate("ChatController", "Retrieval used: %1.")
      .arg(cited.join(QStringLiteral(", ")));
}

}  // namespace flint::ui
