#include "app/documents/document_budget.h"

#include <algorithm>
#include <numeric>

namespace flint::documents {

std::size_t defaultAnswerReserve(engine::ThinkingMode mode, std::size_t contextLength) {
  std::size_t reserve = kAnswerReserveNonThink;
  if (mode == engine::ThinkingMode::kHigh) reserve = kAnswerReserveHigh;
  if (mode == engine::ThinkingMode::kMax) reserve = kAnswerReserveMax;
  return std::min(reserve, contextLength / 4);
}

Budget planBudget(const BudgetInput& input) {
  Budget budget;
  budget.contextLength = input.contextLength;
  budget.documentTokens =
      std::accumulate(input.documentTokens.begin(), input.documentTokens.end(), std::size_t(0));
  budget.promptTokens = budget.documentTokens + input.questionTokens + input.conversationTokens;
  budget.reserveTokens =
      input.answerReserve.value_or(defaultAnswerReserve(input.mode, input.contextLength));
  budget.fitsWhole = budget.totalWithReserve() <= input.contextLength;
  const std::size_t others = input.questionTokens + input.conversationTokens + budget.reserveTokens;
  budget.roomForDocuments = others < input.contextLength ? input.contextLength - others : 0;
  budget.shortForThinkMax =
      input.mode == engine::ThinkingMode::kMax && input.contextLength < kThinkMaxRecommendedContext;
  return budget;
}

}  // namespace flint::documents
