#pragma once
// The user turn that carries attached documents. When they fit (document_budget.h) each goes
// in whole, in a delimited block with its title, in the order given, before the question: the
// same documents always give the same bytes, so a prefix cache can key on them and a
// follow-up shares the prefix. When they do not fit, BM25 over the store's chunks picks the
// passages that fit, each labelled so the answer can cite "[title, passage n]".
//
//   <document title="notes.md">            Passages from the attached documents ...
//   ...text...                              <passage source="notes.md" n="3">
//   </document>                             ...text...
//                                           </passage>
//   QUESTION
//                                           QUESTION
#include "app/documents/document_budget.h"
#include "app/store/documents.h"
#include "engine/tokenizer/prompt_encoder.h"
#include "engine/tokenizer/tokenizer.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace flint::store {
class Database;
}

namespace flint::documents {

// Names this layout in prefix-cache keys; changes whenever the bytes below change.
inline constexpr std::string_view kDocumentPromptLayout = "flint-documents-1";
// Room for the tokenizer's merges where a block's frame meets its text (a block's count is
// its frame's and its text's, counted apart).
inline constexpr std::size_t kBlockMarginTokens = 2;

std::string documentBlock(std::string_view title, std::string_view text);
// `number` counts the document's passages from 1 (the chunk's ordinal + 1).
std::string passageBlock(std::string_view title, int number, std::string_view text);
// What the retrieval turn says before its passages.
std::string_view retrievalPreamble();

// Tokens of documentBlock(title, text) for a text of `textTokens` tokens (an upper bound).
std::size_t documentBlockTokens(const engine::Tokenizer& tokenizer, std::string_view title,
                                std::size_t textTokens);
std::size_t passageBlockTokens(const engine::Tokenizer& tokenizer, std::string_view title,
                               int number, std::size_t textTokens);

struct DocumentQuestion {
  // The attached documents, in the order the user attached them, with content, id (for
  // retrieval over their chunks) and tokenCount (their text's tokens).
  std::vector<store::Document> documents;
  std::string question;
  // The conversation before this turn (system prompt, earlier turns).
  std::vector<engine::ChatMessage> history;
  engine::ThinkingMode mode = engine::ThinkingMode::kNonThink;
  std::size_t contextLength = 0;
  std::optional<std::size_t> answerReserve;  // unset: defaultAnswerReserve()
};

struct Passage {
  std::int64_t documentId = 0;
  std::string title;
  int number = 0;  // from 1, within its document
  std::size_t tokens = 0;
  double score = 0;  // BM25, lower is better
};

struct DocumentPrompt {
  bool retrieval = false;                     // passages, not whole documents
  std::vector<Passage> passages;              // retrieval: those that went in, in prompt order
  std::string userMessage;                    // documents or passages, then the question
  std::vector<engine::ChatMessage> messages;  // history + the user turn: ready to generate
  Budget budget;                   // of the whole documents: what the context meter shows
  std::size_t insertedTokens = 0;  // what the documents or passages in the turn cost
};

// Whole documents when they fit, else the best passages that do. Retrieval runs
// store::searchChunks on `db`; ties in score go to the earlier document, then the earlier
// passage. No passage may match the question's words: then none goes in and the caller says so.
DocumentPrompt buildDocumentPrompt(store::Database& db, const engine::Tokenizer& tokenizer,
                                   const DocumentQuestion& question);

}  // namespace flint::documents
