#pragma once
// What attached documents cost in the model's context, and whether they fit whole with room
// for the question, the conversation so far and the answer. This is the arithmetic behind
// the context meter and behind the choice between whole documents and retrieval.
//
// Room for the answer (the reserve) depends on the thinking mode: reasoning comes before the
// answer and takes room of its own. DeepSeek recommends a context of at least 384K tokens for
// Think Max because its reasoning runs long, so Max keeps the most. On a model whose whole
// context is small the reserve is capped at a quarter of it, so a short document still fits.
#include "engine/tokenizer/prompt_encoder.h"

#include <cstddef>
#include <optional>
#include <vector>

namespace flint::documents {

inline constexpr std::size_t kAnswerReserveNonThink = 4 * 1024;
inline constexpr std::size_t kAnswerReserveHigh = 32 * 1024;
inline constexpr std::size_t kAnswerReserveMax = 128 * 1024;
inline constexpr std::size_t kThinkMaxRecommendedContext = 384 * 1024;

// The reserve Flint keeps for `mode` in a context of `contextLength` tokens.
std::size_t defaultAnswerReserve(engine::ThinkingMode mode, std::size_t contextLength);

struct BudgetInput {
  std::size_t contextLength = 0;  // the model's configured context (max_position_embeddings)
  engine::ThinkingMode mode = engine::ThinkingMode::kNonThink;
  // Each document as it goes into the prompt (its delimited block: documentBlockTokens()).
  std::vector<std::size_t> documentTokens;
  std::size_t questionTokens = 0;
  // Everything else in the prompt: the prompt's markers (BOS, role markers, the Max preamble),
  // a system prompt and earlier turns.
  std::size_t conversationTokens = 0;
  std::optional<std::size_t> answerReserve;  // unset: defaultAnswerReserve()
};

struct Budget {
  std::size_t documentTokens = 0;  // all documents' blocks
  std::size_t promptTokens = 0;    // documents + question + conversation
  std::size_t reserveTokens = 0;   // kept for reasoning and answer
  std::size_t contextLength = 0;
  bool fitsWhole = false;  // promptTokens + reserveTokens <= contextLength
  // Room the documents (or retrieved passages) may take: the context less the question, the
  // conversation and the reserve; 0 when even those do not fit.
  std::size_t roomForDocuments = 0;
  // Think Max on a context below DeepSeek's recommendation (the meter shows a hint).
  bool shortForThinkMax = false;

  std::size_t totalWithReserve() const { return promptTokens + reserveTokens; }
};

Budget planBudget(const BudgetInput& input);

}  // namespace flint::documents
