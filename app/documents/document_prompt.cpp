#include "app/documents/document_prompt.h"

#include "app/documents/chunker.h"
#include "app/store/database.h"

#include <algorithm>
#include <climits>
#include <tuple>

namespace flint::documents {
namespace {

constexpr std::string_view kRetrievalPreamble =
    "The attached documents are too long to read whole, so these passages were chosen from them "
    "for the question. Cite the passages you use as [document title, passage n].\n\n";

// A title on one line and without the quote that ends the attribute.
std::string attribute(std::string_view title) {
  std::string out(title);
  std::replace_if(
      out.begin(), out.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  std::replace(out.begin(), out.end(), '"', '\'');
  return out;
}

std::string_view trimmed(std::string_view text) {
  const std::size_t first = text.find_first_not_of(" \t\r\n\f\v");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t\r\n\f\v") + 1 - first);
}

std::string documentHeader(std::string_view title) {
  return "<document title=\"" + attribute(title) + "\">\n";
}
constexpr std::string_view kDocumentFooter = "\n</document>\n\n";

std::string passageHeader(std::string_view title, int number) {
  return "<passage source=\"" + attribute(title) + "\" n=\"" + std::to_string(number) + "\">\n";
}
constexpr std::string_view kPassageFooter = "\n</passage>\n\n";

struct Candidate {
  store::Chunk chunk;
  std::size_t documentIndex = 0;
  std::size_t tokens = 0;  // its block's
};

std::vector<Passage> pickPassages(store::Database& db, const engine::Tokenizer& tokenizer,
                                  const DocumentQuestion& q, std::size_t room,
                                  std::vector<Candidate>& chosen) {
  std::vector<Candidate> candidates;
  // Enough candidates to fill the room with passages of 16 tokens.
  const int limit = int(std::min<std::size_t>(room / 16 + 16, INT_MAX));
  for (std::size_t d = 0; d < q.documents.size(); ++d) {
    for (store::Chunk& chunk : store::searchChunks(db, q.documents[d].id, q.question, limit)) {
      Candidate c;
      c.tokens = passageBlockTokens(tokenizer, q.documents[d].name, chunk.ordinal + 1,
                                    std::size_t(chunk.tokenCount));
      c.documentIndex = d;
      c.chunk = std::move(chunk);
      candidates.push_back(std::move(c));
    }
  }
  // BM25 scores come from one index over every chunk, so they compare across documents.
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const Candidate& a, const Candidate& b) {
                     return std::tie(a.chunk.score, a.documentIndex, a.chunk.ordinal) <
                            std::tie(b.chunk.score, b.documentIndex, b.chunk.ordinal);
                   });
  std::size_t used = 0;
  for (Candidate& c : candidates) {
    if (used + c.tokens > room) continue;  // a shorter one further down may still fit
    used += c.tokens;
    chosen.push_back(std::move(c));
  }
  // In reading order: the model follows a document better front to back.
  std::sort(chosen.begin(), chosen.end(), [](const Candidate& a, const Candidate& b) {
    return std::tie(a.documentIndex, a.chunk.ordinal) < std::tie(b.documentIndex, b.chunk.ordinal);
  });
  std::vector<Passage> passages;
  for (const Candidate& c : chosen) {
    Passage p;
    p.documentId = c.chunk.documentId;
    p.title = q.documents[c.documentIndex].name;
    p.number = c.chunk.ordinal + 1;
    p.tokens = c.tokens;
    p.score = c.chunk.score;
    passages.push_back(std::move(p));
  }
  return passages;
}

}  // namespace

std::string documentBlock(std::string_view title, std::string_view text) {
  return documentHeader(title) + std::string(trimmed(text)) + std::string(kDocumentFooter);
}

std::string passageBlock(std::string_view title, int number, std::string_view text) {
  return passageHeader(title, number) + std::string(trimmed(text)) + std::string(kPassageFooter);
}

std::string_view retrievalPreamble() {
  return kRetrievalPreamble;
}

std::size_t documentBlockTokens(const engine::Tokenizer& tokenizer, std::string_view title,
                                std::size_t textTokens) {
  return countTokens(tokenizer, documentHeader(title)) + textTokens +
         countTokens(tokenizer, kDocumentFooter) + kBlockMarginTokens;
}

std::size_t passageBlockTokens(const engine::Tokenizer& tokenizer, std::string_view title,
                               int number, std::size_t textTokens) {
  return countTokens(tokenizer, passageHeader(title, number)) + textTokens +
         countTokens(tokenizer, kPassageFooter) + kBlockMarginTokens;
}

DocumentPrompt buildDocumentPrompt(store::Database& db, const engine::Tokenizer& tokenizer,
                                   const DocumentQuestion& q) {
  // The prompt's markers and the conversation so far: the history with an empty user turn.
  std::vector<engine::ChatMessage> frame = q.history;
  frame.push_back({engine::ChatRole::kUser, "", ""});
  const engine::PromptEncoder encoder(tokenizer);

  BudgetInput input;
  input.contextLength = q.contextLength;
  input.mode = q.mode;
  input.questionTokens = countTokens(tokenizer, q.question);
  input.conversationTokens = encoder.encode(frame, q.mode).ids.size();
  input.answerReserve = q.answerReserve;
  for (const store::Document& d : q.documents)
    input.documentTokens.push_back(
        documentBlockTokens(tokenizer, d.name, std::size_t(d.tokenCount)));

  DocumentPrompt prompt;
  prompt.budget = planBudget(input);
  if (prompt.budget.fitsWhole) {
    for (const store::Document& d : q.documents)
      prompt.userMessage += documentBlock(d.name, d.content);
    prompt.insertedTokens = prompt.budget.documentTokens;
  } else {
    prompt.retrieval = true;
    const std::size_t preamble = countTokens(tokenizer, kRetrievalPreamble) + kBlockMarginTokens;
    const std::size_t room =
        prompt.budget.roomForDocuments > preamble ? prompt.budget.roomForDocuments - preamble : 0;
    std::vector<Candidate> chosen;
    prompt.passages = pickPassages(db, tokenizer, q, room, chosen);
    if (!chosen.empty()) {
      prompt.userMessage += kRetrievalPreamble;
      prompt.insertedTokens = preamble;
    }
    for (std::size_t i = 0; i < chosen.size(); ++i) {
      prompt.userMessage +=
          passageBlock(prompt.passages[i].title, prompt.passages[i].number, chosen[i].chunk.text);
      prompt.insertedTokens += prompt.passages[i].tokens;
    }
  }
  prompt.userMessage += q.question;
  prompt.messages = q.history;
  prompt.messages.push_back({engine::ChatRole::kUser, prompt.userMessage, ""});
  return prompt;
}

}  // namespace flint::documents
