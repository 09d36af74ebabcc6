#include "app/server/completion_json.h"

#include <atomic>
#include <chrono>
#include <cstdio>

namespace flint::server {

CompletionIdentity newCompletionIdentity(const std::string& model) {
  static std::atomic<std::uint64_t> counter{0};
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  CompletionIdentity identity;
  identity.created = std::chrono::duration_cast<std::chrono::seconds>(now).count();
  char id[64];
  std::snprintf(id, sizeof id, "chatcmpl-%llx-%llu",
                static_cast<unsigned long long>(identity.created),
                static_cast<unsigned long long>(++counter));
  identity.id = id;
  identity.model = model;
  return identity;
}

std::string finishReasonName(engine::FinishReason reason) {
  return reason == engine::FinishReason::kMaxTokens ? "length" : "stop";
}

nlohmann::json usageJson(const engine::Stats& stats) {
  const std::size_t prompt = stats.promptTokens + stats.reusedTokens;
  return {{"prompt_tokens", prompt},
          {"completion_tokens", stats.generatedTokens},
          {"total_tokens", prompt + stats.generatedTokens},
          {"prompt_cache_hit_tokens", stats.reusedTokens}};
}

nlohmann::json completionJson(const CompletionIdentity& identity,
                              const engine::GenerateResult& result) {
  nlohmann::json message = {{"role", "assistant"}, {"content", result.answer}};
  if (!result.thinking.empty()) message["reasoning_content"] = result.thinking;
  return {
      {"id", identity.id},
      {"object", "chat.completion"},
      {"created", identity.created},
      {"model", identity.model},
      {"choices",
       {{{"index", 0}, {"message", message}, {"finish_reason", finishReasonName(result.reason)}}}},
      {"usage", usageJson(result.stats)}};
}

nlohmann::json chunkJson(const CompletionIdentity& identity, nlohmann::json delta,
                         const std::string& finishReason) {
  return {{"id", identity.id},
          {"object", "chat.completion.chunk"},
          {"created", identity.created},
          {"model", identity.model},
          {"choices",
           {{{"index", 0},
             {"delta", std::move(delta)},
             {"finish_reason",
              finishReason.empty() ? nlohmann::json() : nlohmann::json(finishReason)}}}}};
}

}  // namespace flint::server
