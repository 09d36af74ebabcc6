#pragma once
// Server-sent events as OpenAI streams them: "data: {json}\n\n" per chunk, "data: [DONE]\n\n"
// at the end, and ": comment" lines that keep a waiting connection alive (and reveal a client
// that left, since writing to it fails).
#include <nlohmann/json.hpp>

#include <string>

namespace flint::server {

std::string sseData(const nlohmann::json& payload);
std::string sseDone();
std::string sseComment(const std::string& text);

}  // namespace flint::server
