#pragma once
// A conversation's attached documents put into a reply's request. The first question asked
// after they were attached carries them, whole when they fit or else as the passages BM25
// picks (buildDocumentPrompt), in every request of the conversation from then on: a follow-up
// shares that turn's prefix (and the session's cache), while the stored message keeps only
// the user's own words.
#include "app/documents/document_prompt.h"
#include "app/store/messages.h"
#include "engine/engine.h"

#include <QString>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace flint::ui {

// `history` is the stored branch the request ends with (its last history.size() messages),
// oldest first. Replaces the question that carries the documents, and everything before it,
// with the built turn; none when the conversation has no documents or no question after them.
std::optional<flint::documents::DocumentPrompt> putDocuments(
    flint::store::Database& db, const flint::engine::Tokenizer& tokenizer,
    std::size_t contextLength, std::int64_t conversationId,
    const std::vector<flint::store::PathEntry>& history, flint::engine::GenerateRequest& request);

// What the answer view says about a prompt: "" for whole documents, else the passages it cites.
QString retrievalNote(const flint::documents::DocumentPrompt& prompt);

}  // namespace flint::ui
