#include "app/documents/chunker.h"
#include "app/documents/document_prompt.h"
#include "app/store/database.h"
#include "document_test_support.h"

namespace flint::documents {
namespace {

using testing::DocumentTest;

class DocumentPromptTest : public DocumentTest {
 protected:
  // Stores `text` chunked at `target` tokens and returns the record with its content.
  store::Document add(const std::string& name, const std::string& text, std::size_t target = 64) {
    store::Document d;
    d.name = name;
    d.content = text;
    d.tokenCount = std::int64_t(countTokens(tokenizer(), text));
    ChunkOptions options;
    options.targetTokens = target;
    d.id = store::addDocument(db_, d, chunkText(text, tokenizer(), options));
    return d;
  }
  DocumentQuestion ask(std::vector<store::Document> docs, const std::string& question,
                       std::size_t context = 4096) {
    DocumentQuestion q;
    q.documents = std::move(docs);
    q.question = question;
    q.contextLength = context;
    return q;
  }
  std::size_t exactTokens(const DocumentPrompt& p, engine::ThinkingMode mode) {
    return engine::PromptEncoder(tokenizer()).encode(p.messages, mode).ids.size();
  }

  store::Database db_ = store::Database::open(":memory:");
};

// Filler about nothing in particular, with one sentence that holds the answer at `needle`.
std::string haystack(int paragraphs, int needle) {
  std::string text;
  for (int i = 0; i < paragraphs; ++i) {
    text += "Section " + std::to_string(i) + " covers routine maintenance of the garden shed. ";
    text += i == needle ? "The code word for the vault is heron." : "Nothing else happened then.";
    text += "\n\n";
  }
  return text;
}

TEST_F(DocumentPromptTest, WholeDocumentsComeFirstWithTitlesInAStableForm) {
  const auto a = add("notes.md", "# Notes\n\nAda has 12 apples.\n");
  const auto b = add("say \"hi\".txt", "Ben has 7 books.");
  const DocumentPrompt p = buildDocumentPrompt(db_, tokenizer(), ask({a, b}, "Who has books?"));
  EXPECT_FALSE(p.retrieval);
  EXPECT_TRUE(p.passages.empty());
  EXPECT_EQ(p.userMessage,
            "<document title=\"notes.md\">\n# Notes\n\nAda has 12 apples.\n</document>\n\n"
            "<document title=\"say 'hi'.txt\">\nBen has 7 books.\n</document>\n\n"
            "Who has books?");
  ASSERT_EQ(p.messages.size(), 1u);
  EXPECT_EQ(p.messages[0].content, p.userMessage);

  // The same documents give the same bytes; a follow-up question shares all of them.
  EXPECT_EQ(buildDocumentPrompt(db_, tokenizer(), ask({a, b}, "Who has books?")).userMessage,
            p.userMessage);
  const std::string followUp =
      buildDocumentPrompt(db_, tokenizer(), ask({a, b}, "And apples?")).userMessage;
  const std::string blocks = documentBlock(a.name, a.content) + documentBlock(b.name, b.content);
  EXPECT_EQ(followUp, blocks + "And apples?");
  EXPECT_EQ(p.userMessage.rfind(blocks, 0), 0u);
}

// The budget's count is an upper bound of the encoder's, and a tight one.
TEST_F(DocumentPromptTest, BudgetCountsWhatTheEncoderCounts) {
  const auto a = add("a.txt", haystack(6, 2));
  const auto b = add("b.md", "Ada has 12 apples.\n\n* one\n* two\n");
  for (const auto mode :
       {engine::ThinkingMode::kNonThink, engine::ThinkingMode::kHigh, engine::ThinkingMode::kMax}) {
    DocumentQuestion q = ask({a, b}, "What is the code word?");
    q.mode = mode;
    q.history = {{engine::ChatRole::kSystem, "Be brief.", ""}};
    const DocumentPrompt p = buildDocumentPrompt(db_, tokenizer(), q);
    const std::size_t exact = exactTokens(p, mode);
    EXPECT_GE(p.budget.promptTokens, exact);
    EXPECT_LE(p.budget.promptTokens, exact + 2 * kBlockMarginTokens + 2);
  }
}

TEST_F(DocumentPromptTest, RetrievalPicksThePassageThatHoldsTheAnswer) {
  const auto doc = add("shed.txt", haystack(60, 41), 48);
  const auto other = add("other.txt", haystack(20, -1), 48);
  DocumentQuestion q = ask({doc, other}, "What is the code word for the vault?", 600);
  q.answerReserve = 100;
  const DocumentPrompt p = buildDocumentPrompt(db_, tokenizer(), q);
  ASSERT_TRUE(p.retrieval);
  EXPECT_FALSE(p.budget.fitsWhole);
  ASSERT_FALSE(p.passages.empty());
  EXPECT_NE(p.userMessage.find("The code word for the vault is heron."), std::string::npos);
  // The passage holding it is labelled for citing, and listed.
  const store::Chunk needle = store::searchChunks(db_, doc.id, "heron", 1).at(0);
  const std::string label =
      "<passage source=\"shed.txt\" n=\"" + std::to_string(needle.ordinal + 1) + "\">";
  EXPECT_NE(p.userMessage.find(label), std::string::npos) << p.userMessage;
  EXPECT_TRUE(std::any_of(p.passages.begin(), p.passages.end(), [&](const Passage& x) {
    return x.documentId == doc.id && x.number == needle.ordinal + 1;
  }));
  EXPECT_EQ(p.userMessage.rfind(std::string(retrievalPreamble()), 0), 0u);
  EXPECT_EQ(p.userMessage.substr(p.userMessage.size() - q.question.size()), q.question);
  // What went in fits the room the budget left, and the whole prompt fits the context.
  EXPECT_LE(p.insertedTokens, p.budget.roomForDocuments);
  EXPECT_LE(exactTokens(p, q.mode) + 100, q.contextLength);
  // Passages stand in reading order, and the same question gives the same bytes.
  for (std::size_t i = 1; i < p.passages.size(); ++i)
    if (p.passages[i].documentId == p.passages[i - 1].documentId) {
      EXPECT_LT(p.passages[i - 1].number, p.passages[i].number);
    }
  EXPECT_EQ(buildDocumentPrompt(db_, tokenizer(), q).userMessage, p.userMessage);
}

TEST_F(DocumentPromptTest, RetrievalWithNoMatchingWordsInsertsNothing) {
  const auto doc = add("shed.txt", haystack(60, -1), 48);
  const DocumentPrompt p =
      buildDocumentPrompt(db_, tokenizer(), ask({doc}, "zebra xylophone?", 400));
  EXPECT_TRUE(p.retrieval);
  EXPECT_TRUE(p.passages.empty());
  EXPECT_EQ(p.userMessage, "zebra xylophone?");
}

}  // namespace
}  // namespace flint::documents
