#pragma once
// The bodies /v1/chat/completions answers with: a chat.completion, or chat.completion.chunk
// objects for a stream. Thinking travels as "reasoning_content" (DeepSeek's convention).
#include "engine/engine.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace flint::server {

// What every chunk of one completion repeats.
struct CompletionIdentity {
  std::string id;  // "chatcmpl-..."
  std::int64_t created = 0;
  std::string model;
};

CompletionIdentity newCompletionIdentity(const std::string& model);

// "stop" for an end of sentence (or a cancelled reply), "length" at max_tokens.
std::string finishReasonName(engine::FinishReason reason);

// prompt_tokens (the whole prompt, cached part included), completion_tokens, total_tokens,
// and DeepSeek's prompt_cache_hit_tokens.
nlohmann::json usageJson(const engine::Stats& stats);

nlohmann::json completionJson(const CompletionIdentity& identity,
                              const engine::GenerateResult& result);

// One chunk with `delta` (e.g. {"content": "..."}); `finishReason` empty while streaming.
nlohmann::json chunkJson(const CompletionIdentity& identity, nlohmann::json delta,
                         const std::string& finishReason = {});

}  // namespace flint::server
