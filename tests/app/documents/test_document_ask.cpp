#include "app/documents/document_ask.h"
#include "document_test_support.h"

namespace flint::documents {
namespace {

using testing::DocumentTest;

const engine::Engine& tiny() {
  static const auto engine = engine::Engine::load(app::defaultModelDir(), {});
  return *engine;
}

TEST_F(DocumentTest, AskPutsDocumentsThatFitInWhole) {
  DocumentAsk ask;
  ask.files = {write("people.txt", "Ada has 12 apples. Ben has 7 books."), data("text.pdf")};
  ask.question = "How many apples does Ada have?";
  ask.request.maxTokens = 64;
  const DocumentAskPlan plan = planDocumentAsk(tiny(), ask);
  ASSERT_EQ(plan.documents.size(), 2u);
  EXPECT_EQ(plan.documents[1].imported.pages, 2);
  EXPECT_FALSE(plan.prompt.retrieval);
  EXPECT_EQ(plan.prompt.budget.contextLength, 4096u);  // flint-tiny's
  EXPECT_EQ(plan.prompt.budget.reserveTokens, 64u);    // the reply's own limit
  ASSERT_EQ(plan.request.messages.size(), 1u);
  EXPECT_EQ(plan.request.messages[0].content,
            documentBlock("people.txt", "Ada has 12 apples. Ben has 7 books.") +
                documentBlock("text.pdf", plan.documents[1].imported.text) + ask.question);
  EXPECT_EQ(plan.request.maxTokens, 64);
}

TEST_F(DocumentTest, AskRetrievesWhenTheContextIsTooSmall) {
  std::string text;
  for (int i = 0; i < 80; ++i)
    text += i == 57 ? "The vault code word is heron.\n\n" : "Routine entry about the shed.\n\n";
  DocumentAsk ask;
  ask.files = {write("log.txt", text)};
  ask.question = "What is the vault code word?";
  ask.request.maxTokens = 32;
  ask.contextLength = 200;
  ask.chunking.targetTokens = 24;
  const DocumentAskPlan plan = planDocumentAsk(tiny(), ask);
  EXPECT_TRUE(plan.prompt.retrieval);
  EXPECT_NE(plan.request.messages[0].content.find("heron"), std::string::npos);
}

TEST_F(DocumentTest, AskStopsAtAFileItCannotRead) {
  DocumentAsk ask;
  ask.files = {write("fine.txt", "fine"), data("encrypted.pdf")};
  ask.question = "What do they say?";
  EXPECT_THROW(planDocumentAsk(tiny(), ask), DocumentError);
}

}  // namespace
}  // namespace flint::documents
