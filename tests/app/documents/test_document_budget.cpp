#include "app/documents/document_budget.h"

#include <gtest/gtest.h>

namespace flint::documents {
namespace {

using engine::ThinkingMode;

TEST(DocumentBudget, AddsDocumentsQuestionConversationAndReserve) {
  BudgetInput in;
  in.contextLength = 1000;
  in.documentTokens = {300, 200};
  in.questionTokens = 20;
  in.conversationTokens = 10;
  const Budget b = planBudget(in);
  EXPECT_EQ(b.documentTokens, 500u);
  EXPECT_EQ(b.promptTokens, 530u);
  EXPECT_EQ(b.reserveTokens, 250u);  // a quarter of a small context
  EXPECT_EQ(b.totalWithReserve(), 780u);
  EXPECT_TRUE(b.fitsWhole);
  EXPECT_EQ(b.roomForDocuments, 720u);  // 1000 - 20 - 10 - 250

  in.documentTokens = {500, 221};  // one token over
  EXPECT_FALSE(planBudget(in).fitsWhole);
  in.documentTokens = {500, 220};  // exactly full
  EXPECT_TRUE(planBudget(in).fitsWhole);
}

TEST(DocumentBudget, ReserveFollowsTheModeAndCanBeSet) {
  const std::size_t million = 1 << 20;
  EXPECT_EQ(defaultAnswerReserve(ThinkingMode::kNonThink, million), 4096u);
  EXPECT_EQ(defaultAnswerReserve(ThinkingMode::kHigh, million), 32768u);
  EXPECT_EQ(defaultAnswerReserve(ThinkingMode::kMax, million), 131072u);
  EXPECT_EQ(defaultAnswerReserve(ThinkingMode::kMax, 4096), 1024u);

  BudgetInput in;
  in.contextLength = 4096;
  in.documentTokens = {3000};
  in.answerReserve = 1000;
  EXPECT_EQ(planBudget(in).reserveTokens, 1000u);
  EXPECT_TRUE(planBudget(in).fitsWhole);
  in.answerReserve = 1097;
  EXPECT_FALSE(planBudget(in).fitsWhole);
}

TEST(DocumentBudget, ThinkMaxBelowTheRecommendedContextIsFlagged) {
  BudgetInput in;
  in.mode = ThinkingMode::kMax;
  in.contextLength = 256 * 1024;
  EXPECT_TRUE(planBudget(in).shortForThinkMax);
  in.contextLength = 384 * 1024;
  EXPECT_FALSE(planBudget(in).shortForThinkMax);
  in.mode = ThinkingMode::kHigh;
  in.contextLength = 1024;
  EXPECT_FALSE(planBudget(in).shortForThinkMax);
}

TEST(DocumentBudget, NoRoomWhenTheQuestionAloneFillsTheContext) {
  BudgetInput in;
  in.contextLength = 100;
  in.questionTokens = 90;
  const Budget b = planBudget(in);
  EXPECT_EQ(b.roomForDocuments, 0u);
  EXPECT_FALSE(b.fitsWhole);  // 90 + a reserve of 25
}

}  // namespace
}  // namespace flint::documents
