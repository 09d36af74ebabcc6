#include "app/server/chat_request.h"

#include <nlohmann/json.hpp>

#include <limits>

namespace flint::server {
namespace {

using nlohmann::json;

// A message's content: a string, null (an assistant turn with no text) or OpenAI's list of
// {"type": "text", "text": ...} parts, joined.
std::string contentText(const json& content, const std::string& field) {
  if (content.is_null()) return {};
  if (content.is_string()) return content.get<std::string>();
  if (!content.is_array())
    throw invalidField(field, field + " must be a string or a list of text parts.");
  std::string text;
  for (const json& part : content) {
    if (!part.is_object() || part.value("type", "") != "text" || !part.contains("text") ||
        !part["text"].is_string())
      throw invalidField(field, field +
                                    " may hold only parts of the form {\"type\": \"text\", "
                                    "\"text\": \"...\"}.");
    text += part["text"].get<std::string>();
  }
  return text;
}

engine::ChatRole role(const json& message, const std::string& field) {
  const json r = message.value("role", json());
  if (!r.is_string()) throw invalidField(field, field + ".role must be a string.");
  const std::string name = r.get<std::string>();
  if (name == "system" || name == "developer") return engine::ChatRole::kSystem;
  if (name == "user") return engine::ChatRole::kUser;
  if (name == "assistant") return engine::ChatRole::kAssistant;
  throw invalidField(field, field + ".role must be system, user or assistant, not '" + name + "'.");
}

std::vector<engine::ChatMessage> messages(const json& body) {
  if (!body.contains("messages"))
    throw invalidField("messages", "The request needs a 'messages' list.");
  const json& list = body["messages"];
  if (!list.is_array() || list.empty())
    throw invalidField("messages", "'messages' must be a non-empty list of messages.");
  std::vector<engine::ChatMessage> out;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string field = "messages[" + std::to_string(i) + "]";
    const json& m = list[i];
    if (!m.is_object()) throw invalidField(field, field + " must be an object.");
    engine::ChatMessage message{role(m, field),
                                contentText(m.value("content", json()), field + ".content"), ""};
    if (message.role == engine::ChatRole::kAssistant && m.contains("reasoning_content"))
      message.reasoning = contentText(m["reasoning_content"], field + ".reasoning_content");
    out.push_back(std::move(message));
  }
  if (out.back().role != engine::ChatRole::kUser)
    throw invalidField("messages", "The last message must be from the user.");
  return out;
}

// A number field in [low, high] (inclusive unless `lowOpen`); nullopt when absent or null.
std::optional<double> number(const json& body, const std::string& field, double low, double high,
                             bool lowOpen, const std::string& range) {
  if (!body.contains(field) || body[field].is_null()) return std::nullopt;
  const json& v = body[field];
  if (!v.is_number()) throw invalidField(field, "'" + field + "' must be a number " + range + ".");
  const double d = v.get<double>();
  if (!(lowOpen ? d > low : d >= low) || !(d <= high))
    throw invalidField(field, "'" + field + "' must be " + range + ".");
  return d;
}

std::optional<long long> integer(const json& body, const std::string& field, long long low,
                                 long long high) {
  if (!body.contains(field) || body[field].is_null()) return std::nullopt;
  const json& v = body[field];
  const std::string range =
      "an integer from " + std::to_string(low) + " to " + std::to_string(high);
  if (!v.is_number_integer()) throw invalidField(field, "'" + field + "' must be " + range + ".");
  const bool tooLarge =
      v.is_number_unsigned() && v.get<unsigned long long>() > static_cast<unsigned long long>(high);
  const long long n = tooLarge ? high : v.get<long long>();
  if (tooLarge || n < low || n > high)
    throw invalidField(field, "'" + field + "' must be " + range + ".");
  return n;
}

std::optional<std::string> text(const json& body, const std::string& field) {
  if (!body.contains(field) || body[field].is_null()) return std::nullopt;
  if (!body[field].is_string()) throw invalidField(field, "'" + field + "' must be a string.");
  return body[field].get<std::string>();
}

engine::ThinkingMode thinkingMode(const json& body) {
  if (const auto name = text(body, "thinking_mode")) {
    const auto mode = engine::parseThinkingMode(*name);
    if (!mode)
      throw invalidField("thinking_mode",
                         "'thinking_mode' must be non-think, high or max, not '" + *name + "'.");
    return *mode;
  }
  if (const auto effort = text(body, "reasoning_effort")) {
    if (*effort == "high") return engine::ThinkingMode::kHigh;
    if (*effort == "max") return engine::ThinkingMode::kMax;
    throw invalidField("reasoning_effort",
                       "'reasoning_effort' must be high or max, not '" + *effort + "'.");
  }
  return engine::ThinkingMode::kNonThink;
}

}  // namespace

ChatRequest parseChatRequest(std::string_view body) {
  const json j = json::parse(body, nullptr, false);
  if (j.is_discarded())
    throw ApiError(400, "invalid_request_error", "The request body is not valid JSON.");
  if (!j.is_object())
    throw ApiError(400, "invalid_request_error", "The request body must be a JSON object.");

  ChatRequest r;
  r.generate.messages = messages(j);
  r.generate.mode = thinkingMode(j);
  if (auto t = number(j, "temperature", 0, 2, false, "from 0 to 2"))
    r.generate.sampling.temperature = float(*t);
  if (auto p = number(j, "top_p", 0, 1, true, "more than 0 and at most 1"))
    r.generate.sampling.topP = float(*p);
  if (auto k = integer(j, "top_k", 0, std::numeric_limits<int>::max()))
    r.generate.sampling.topK = int(*k);
  if (auto s = integer(j, "seed", 0, std::numeric_limits<long long>::max()))
    r.generate.sampling.seed = std::uint64_t(*s);
  // OpenAI renamed max_tokens to max_completion_tokens; either is honoured.
  const auto limit = std::numeric_limits<int>::max();
  if (auto n = integer(j, "max_completion_tokens", 1, limit)) r.generate.maxTokens = int(*n);
  if (auto n = integer(j, "max_tokens", 1, limit)) r.generate.maxTokens = int(*n);
  integer(j, "n", 1, 1);  // one answer per request
  if (j.contains("stream") && !j["stream"].is_null()) {
    if (!j["stream"].is_boolean()) throw invalidField("stream", "'stream' must be true or false.");
    r.stream = j["stream"].get<bool>();
  }
  if (j.contains("model") && !j["model"].is_null() && !j["model"].is_string())
    throw invalidField("model", "'model' must be a string.");
  return r;
}

}  // namespace flint::server
