// Request parsing: every field honoured, every mistake a 400 that names the field.
#include "app/server/chat_request.h"

#include <gtest/gtest.h>

namespace flint::server {
namespace {

ApiError errorOf(const std::string& body) {
  try {
    parseChatRequest(body);
  } catch (const ApiError& e) {
    return e;
  }
  ADD_FAILURE() << "accepted: " << body;
  return ApiError(0, "", "");
}

TEST(ChatRequest, ReadsEveryField) {
  const ChatRequest r = parseChatRequest(R"({
    "model": "flint-tiny", "stream": true, "temperature": 0.5, "top_p": 0.9, "seed": 42,
    "max_tokens": 17, "thinking_mode": "max",
    "messages": [{"role": "system", "content": "Be brief."},
                 {"role": "user", "content": [{"type": "text", "text": "Hi "},
                                              {"type": "text", "text": "there"}]},
                 {"role": "assistant", "content": "Hello.", "reasoning_content": "greet"},
                 {"role": "user", "content": "Again"}]})");
  EXPECT_TRUE(r.stream);
  EXPECT_FLOAT_EQ(r.generate.sampling.temperature, 0.5f);
  EXPECT_FLOAT_EQ(r.generate.sampling.topP, 0.9f);
  EXPECT_EQ(r.generate.sampling.seed, 42u);
  EXPECT_EQ(r.generate.maxTokens, 17);
  EXPECT_EQ(r.generate.mode, engine::ThinkingMode::kMax);
  ASSERT_EQ(r.generate.messages.size(), 4u);
  EXPECT_EQ(r.generate.messages[0].role, engine::ChatRole::kSystem);
  EXPECT_EQ(r.generate.messages[1].content, "Hi there");
  EXPECT_EQ(r.generate.messages[2].reasoning, "greet");
}

TEST(ChatRequest, DefaultsToNonThinkAndOneAnswer) {
  const ChatRequest r = parseChatRequest(R"({"messages": [{"role": "user", "content": "x"}]})");
  EXPECT_FALSE(r.stream);
  EXPECT_EQ(r.generate.mode, engine::ThinkingMode::kNonThink);
  EXPECT_EQ(r.generate.maxTokens, engine::GenerateRequest().maxTokens);
}

TEST(ChatRequest, ReasoningEffortChoosesTheThinkingMode) {
  const std::string user = R"("messages": [{"role": "user", "content": "x"}])";
  EXPECT_EQ(parseChatRequest("{" + user + R"(, "reasoning_effort": "high"})").generate.mode,
            engine::ThinkingMode::kHigh);
  EXPECT_EQ(parseChatRequest("{" + user + R"(, "reasoning_effort": "max"})").generate.mode,
            engine::ThinkingMode::kMax);
  // thinking_mode, when given, decides.
  EXPECT_EQ(
      parseChatRequest("{" + user + R"(, "reasoning_effort": "max", "thinking_mode": "non-think"})")
          .generate.mode,
      engine::ThinkingMode::kNonThink);
  EXPECT_EQ(errorOf("{" + user + R"(, "reasoning_effort": "low"})").param, "reasoning_effort");
}

TEST(ChatRequest, MistakesAre400sNamingTheField) {
  const std::string user = R"("messages": [{"role": "user", "content": "x"}])";
  const struct {
    std::string body, param;
  } cases[] = {
      {"{not json", ""},
      {"[1, 2]", ""},
      {"{}", "messages"},
      {R"({"messages": []})", "messages"},
      {R"({"messages": [{"role": "robot", "content": "x"}]})", "messages[0]"},
      {R"({"messages": [{"role": "user", "content": 5}]})", "messages[0].content"},
      {R"({"messages": [{"role": "assistant", "content": "x"}]})", "messages"},
      {"{" + user + R"(, "temperature": "hot"})", "temperature"},
      {"{" + user + R"(, "temperature": 3})", "temperature"},
      {"{" + user + R"(, "top_p": 0})", "top_p"},
      {"{" + user + R"(, "max_tokens": 0})", "max_tokens"},
      {"{" + user + R"(, "max_tokens": 1.5})", "max_tokens"},
      {"{" + user + R"(, "seed": -1})", "seed"},
      {"{" + user + R"(, "n": 2})", "n"},
      {"{" + user + R"(, "stream": "yes"})", "stream"},
      {"{" + user + R"(, "thinking_mode": "deep"})", "thinking_mode"},
  };
  for (const auto& c : cases) {
    const ApiError e = errorOf(c.body);
    EXPECT_EQ(e.status, 400) << c.body;
    EXPECT_EQ(e.param, c.param) << c.body;
    const std::string message = e.what();
    EXPECT_GT(message.size(), 10u) << c.body;
    EXPECT_EQ(message.back(), '.') << "a sentence: " << message;
  }
}

TEST(ChatRequest, ErrorJsonHasOpenAisShape) {
  const auto j = errorJson(invalidField("top_p", "'top_p' must be more than 0."));
  EXPECT_EQ(j["error"]["message"], "'top_p' must be more than 0.");
  EXPECT_EQ(j["error"]["type"], "invalid_request_error");
  EXPECT_EQ(j["error"]["param"], "top_p");
}

}  // namespace
}  // namespace flint::server
