#pragma once
// A POST /v1/chat/completions body, checked field by field into an engine request. Unknown
// fields are ignored (clients send many); a known field of the wrong type or range is a 400
// naming it.
//
// The thinking mode: "thinking_mode": "non-think" (default) | "high" | "max". Without it,
// DeepSeek's "reasoning_effort": "high" | "max" turns thinking on at that effort.
#include "app/server/api_error.h"
#include "engine/engine.h"

#include <string_view>

namespace flint::server {

struct ChatRequest {
  engine::GenerateRequest generate;
  bool stream = false;
};

// Throws ApiError (400) with a sentence for malformed JSON or a bad field.
ChatRequest parseChatRequest(std::string_view body);

}  // namespace flint::server
