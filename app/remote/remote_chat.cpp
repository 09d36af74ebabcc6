#include "app/remote/remote_chat.h"

#include "app/remote/remote_spec_metrics.h"
#include "app/remote/sse_parser.h"

#include <algorithm>
#include <chrono>
#include <climits>
#include <optional>

namespace flint::remote {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

const char* roleName(engine::ChatRole role) {
  switch (role) {
    case engine::ChatRole::kSystem:
      return "system";
    case engine::ChatRole::kUser:
      return "user";
    case engine::ChatRole::kAssistant:
      return "assistant";
  }
  return "user";
}

std::string modeName(engine::ThinkingMode mode) {
  switch (mode) {
    case engine::ThinkingMode::kNonThink:
      return "non-think";
    case engine::ThinkingMode::kHigh:
      return "high";
    case engine::ThinkingMode::kMax:
      return "max";
  }
  return "non-think";
}

double seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

// What one reply's stream has brought so far.
struct StreamState {
  engine::GenerateResult result;
  bool done = false;  // "data: [DONE]" came
  std::optional<std::string> error;
  std::optional<Clock::time_point> firstPiece;
  std::size_t pieces = 0;
  std::optional<std::size_t> usagePrompt, usageCompletion, usageCached;
};

// One event's data: a chunk, [DONE], or an error the server sent mid-stream.
void readEvent(std::string_view data, StreamState& s, engine::StreamSink& sink) {
  if (data == "[DONE]") {
    s.done = true;
    return;
  }
  const json chunk = json::parse(data, nullptr, false);
  if (!chunk.is_object()) {
    s.error = "The endpoint sent a piece of its answer that is not JSON: " +
              std::string(data.substr(0, 80)) + ".";
    return;
  }
  if (chunk.contains("error")) {
    std::string said = serverMessage(data);
    while (!said.empty() && said.back() == '.') said.pop_back();
    s.error = "The endpoint stopped the answer with an error: " + said + ".";
    return;
  }
  if (chunk.contains("usage") && chunk["usage"].is_object()) {
    const json& u = chunk["usage"];
    if (u.value("prompt_tokens", json()).is_number_unsigned()) s.usagePrompt = u["prompt_tokens"];
    if (u.value("completion_tokens", json()).is_number_unsigned())
      s.usageCompletion = u["completion_tokens"];
    // DeepSeek's spelling, then OpenAI's (vLLM).
    if (u.value("prompt_cache_hit_tokens", json()).is_number_unsigned())
      s.usageCached = u["prompt_cache_hit_tokens"];
    else if (u.value("prompt_tokens_details", json()).is_object() &&
             u["prompt_tokens_details"].value("cached_tokens", json()).is_number_unsigned())
      s.usageCached = u["prompt_tokens_details"]["cached_tokens"];
  }
  if (!chunk.contains("choices") || !chunk["choices"].is_array() || chunk["choices"].empty())
    return;
  const json& choice = chunk["choices"][0];
  if (choice.value("finish_reason", json()) == "length")
    s.result.reason = engine::FinishReason::kMaxTokens;
  const json delta = choice.value("delta", json::object());
  // DeepSeek and vLLM call it reasoning_content; newer vLLM also "reasoning".
  for (const char* key : {"reasoning_content", "reasoning"}) {
    const json piece = delta.value(key, json());
    if (!piece.is_string() || piece.get_ref<const std::string&>().empty()) continue;
    const std::string& text = piece.get_ref<const std::string&>();
    s.result.thinking += text;
    sink.onThinking(text);
    ++s.pieces;
    break;
  }
  const json content = delta.value("content", json());
  if (content.is_string() && !content.get_ref<const std::string&>().empty()) {
    s.result.answer += content.get_ref<const std::string&>();
    sink.onAnswer(content.get_ref<const std::string&>());
    ++s.pieces;
  }
  if (s.pieces > 0 && !s.firstPiece) s.firstPiece = Clock::now();
}

}  // namespace

json chatCompletionBody(const engine::GenerateRequest& request, const std::string& model) {
  json messages = json::array();
  for (const engine::ChatMessage& m : request.messages) {
    json message = {{"role", roleName(m.role)}, {"content", m.content}};
    if (m.role == engine::ChatRole::kAssistant && !m.reasoning.empty())
      message["reasoning_content"] = m.reasoning;
    messages.push_back(std::move(message));
  }
  const bool thinking = request.mode != engine::ThinkingMode::kNonThink;
  json body = {
      {"model", model},
      {"messages", std::move(messages)},
      {"stream", true},
      {"stream_options", {{"include_usage", true}}},
      {"thinking_mode", modeName(request.mode)},
      {"chat_template_kwargs", {{"thinking", thinking}, {"thinking_mode", modeName(request.mode)}}},
      {"temperature", request.sampling.temperature},
      {"top_p", request.sampling.topP},
      // Servers take a signed 64-bit seed.
      {"seed", request.sampling.seed & 0x7fff'ffff'ffff'ffffULL}};
  if (request.sampling.topK > 0) body["top_k"] = request.sampling.topK;
  if (request.maxTokens > 0 && request.maxTokens < INT_MAX) body["max_tokens"] = request.maxTokens;
  return body;
}

RemoteChat::RemoteChat(RemoteEndpoint endpoint, std::size_t contextMax)
    : client_(std::move(endpoint)), contextMax_(contextMax) {}

engine::GenerateResult RemoteChat::generate(const engine::GenerateRequest& request,
                                            engine::StreamSink& sink,
                                            const std::atomic<bool>* cancel) {
  const std::optional<MetricSamples> before = client_.metrics();
  StreamState s;
  engine::Stats& stats = s.result.stats;
  stats.contextMax = contextMax_;
  const Clock::time_point start = Clock::now();
  // Live figures after every event that brought text.
  const auto refresh = [&] {
    if (!s.firstPiece) return;
    stats.prefillSeconds = seconds(*s.firstPiece - start);
    stats.generatedTokens = s.usageCompletion.value_or(s.pieces);
    stats.decodeSeconds = seconds(Clock::now() - *s.firstPiece);
  };
  SseParser parser([&](std::string_view data) {
    if (s.error || s.done) return;
    const std::size_t piecesBefore = s.pieces;
    readEvent(data, s, sink);
    if (s.pieces != piecesBefore) {
      refresh();
      sink.onStats(stats);
    }
  });
  const bool ended = client_.streamChat(
      chatCompletionBody(request, client_.endpoint().model).dump(),
      [&](std::string_view bytes) {
        parser.feed(bytes);
        return !s.error;  // after [DONE] the server ends the body itself
      },
      cancel);
  parser.finish();
  if (s.error) throw RemoteError(*s.error);
  if (!s.done && ended)
    throw RemoteError("The endpoint closed the connection before the answer was complete.");
  if (!s.done) s.result.reason = engine::FinishReason::kCancelled;

  refresh();
  // The engine's promptTokens are those fed this time; usage counts the cached part too.
  stats.reusedTokens = std::min(s.usageCached.value_or(0), s.usagePrompt.value_or(0));
  stats.promptTokens = s.usagePrompt.value_or(0) - stats.reusedTokens;
  stats.contextUsed = s.usagePrompt.value_or(0) + stats.generatedTokens;
  if (before) {
    if (const std::optional<MetricSamples> after = client_.metrics())
      if (auto spec = specBetween(*before, *after, stats.generatedTokens)) {
        stats.speculating = true;
        static_cast<engine::SpecCounters&>(stats.spec) = *spec;
        // A remote reply has no window of its own: the recent figures are the reply's.
        stats.spec.recent = *spec;
      }
  }
  sink.onStats(stats);
  return s.result;
}

}  // namespace flint::remote
