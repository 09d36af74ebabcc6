// The remote backend against a real protocol peer: `flint-cli serve` on flint-tiny over
// loopback. A streamed answer equals `flint-cli chat` (greedy, same prompt and mode), thinking
// arrives as thinking, a cancel stops mid-stream and keeps the text, the server's speculation
// metrics become the reply's statistics, and every failure is a sentence. Also the server's
// side of a disconnect for whole (non-streaming) answers, which the remote backend relies on.
#include "app/remote/remote_chat.h"
#include "tests/app/remote/serve_process.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <sstream>
#include <string>
#include <thread>

namespace {

using flint::remote::RemoteChat;
using flint::remote::RemoteEndpoint;
using flint::remote::RemoteError;
using flint::testing::ServeProcess;

struct Collect : flint::engine::StreamSink {
  std::string thinking, answer;
  std::size_t statsCalls = 0;
  std::atomic<bool>* cancelAfterFirst = nullptr;
  void onThinking(std::string_view t) override { thinking += t; }
  void onAnswer(std::string_view t) override {
    answer += t;
    if (cancelAfterFirst) cancelAfterFirst->store(true);
  }
  void onStats(const flint::engine::Stats&) override { ++statsCalls; }
};

flint::engine::GenerateRequest greedy(const std::string& prompt, flint::engine::ThinkingMode mode,
                                      int maxTokens) {
  flint::engine::GenerateRequest r;
  r.messages = {{flint::engine::ChatRole::kUser, prompt, ""}};
  r.mode = mode;
  r.sampling.temperature = 0;
  r.maxTokens = maxTokens;
  return r;
}

// `flint-cli chat` prints "Thinking: ...\n\nAnswer: ...\n\n[prompt ...".
std::string cliChat(const std::string& prompt, const std::string& mode, int maxTokens) {
  const std::string command = std::string(FLINT_TEST_CLI) +
                              " chat --no-save --temperature 0 --mode " + mode + " --max-tokens " +
                              std::to_string(maxTokens) + " --prompt '" + prompt + "' 2>/dev/null";
  FILE* p = popen(command.c_str(), "r");
  std::string out;
  char buf[4096];
  while (std::size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  pclose(p);
  return out.substr(0, out.find("\n\n[prompt"));
}

class Remote : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new ServeProcess(FLINT_TEST_CLI, {}); }
  static void TearDownTestSuite() { delete server_; }
  static RemoteEndpoint endpoint() { return {server_->url(), "", "flint-tiny"}; }
  static ServeProcess* server_;
};
ServeProcess* Remote::server_ = nullptr;

TEST_F(Remote, ListsTheServedModel) {
  flint::remote::RemoteClient client(endpoint());
  const auto models = client.models();
  ASSERT_EQ(models.size(), 1u);
  EXPECT_EQ(models[0].id, "flint-tiny");
  EXPECT_TRUE(client.metrics().has_value());
}

TEST_F(Remote, StreamedAnswerEqualsTheLocalGreedyChat) {
  for (const auto& [mode, name] : {std::pair{flint::engine::ThinkingMode::kNonThink, "non-think"},
                                   std::pair{flint::engine::ThinkingMode::kHigh, "high"}}) {
    RemoteChat chat(endpoint());
    Collect sink;
    const auto result = chat.generate(greedy("What is 47+38?", mode, 60), sink);
    std::string printed;
    if (!sink.thinking.empty()) printed += "Thinking: " + sink.thinking;
    if (!sink.answer.empty())
      printed += (printed.empty() ? "Answer: " : "\n\nAnswer: ") + sink.answer;
    EXPECT_EQ(printed, cliChat("What is 47+38?", name, 60)) << name;
    EXPECT_EQ(result.answer, sink.answer);
    if (mode == flint::engine::ThinkingMode::kHigh)
      EXPECT_FALSE(sink.thinking.empty());
    else
      EXPECT_TRUE(sink.thinking.empty());
    EXPECT_GT(result.stats.generatedTokens, 0u);
    EXPECT_GT(result.stats.promptTokens + result.stats.reusedTokens, 0u);
    EXPECT_GT(result.stats.decodeTokensPerSecond(), 0);
    EXPECT_GT(sink.statsCalls, 1u) << "live figures while it streams";
    EXPECT_FALSE(result.stats.expertTiers) << "not available remotely";
    // flint-tiny has a drafter: the server's counters moved and became the reply's.
    EXPECT_TRUE(result.stats.speculating);
    EXPECT_GT(result.stats.spec.steps + result.stats.spec.plainSteps, 0u);
    EXPECT_LE(result.stats.spec.acceptedTokens, result.stats.spec.draftTokens);
  }
}

// small_alphabet repeats the alphabet and never ends on its own, so only the cancel stops it.
TEST(RemoteCancel, CancelStopsMidStreamAndKeepsTheText) {
  ServeProcess server(FLINT_TEST_CLI,
                      {"--model", std::string(FLINT_TEST_CHECKPOINTS) + "/small_alphabet"});
  RemoteChat chat({server.url(), "", "small_alphabet"});
  constexpr int kMaxTokens = 100000;
  std::atomic<bool> cancel{false};
  Collect sink;
  sink.cancelAfterFirst = &cancel;
  const auto result = chat.generate(
      greedy("hi", flint::engine::ThinkingMode::kNonThink, kMaxTokens), sink, &cancel);
  EXPECT_EQ(result.reason, flint::engine::FinishReason::kCancelled);
  EXPECT_FALSE(result.answer.empty());
  EXPECT_EQ(result.answer, sink.answer);
  EXPECT_LT(result.stats.generatedTokens, std::size_t(kMaxTokens));
  // The server stopped that generation and answers the next request.
  Collect next;
  EXPECT_EQ(chat.generate(greedy("hi", flint::engine::ThinkingMode::kNonThink, 5), next)
                .stats.generatedTokens,
            5u);
}

TEST(RemoteErrors, WrongKeyIsRefusedInWords) {
  ServeProcess server(FLINT_TEST_CLI, {"--api-key", "sesame"});
  Collect sink;
  try {
    RemoteChat({server.url(), "wrong", "flint-tiny"})
        .generate(greedy("Hi", flint::engine::ThinkingMode::kNonThink, 4), sink);
    FAIL() << "a wrong key was accepted";
  } catch (const RemoteError& e) {
    EXPECT_EQ(
        std::string(e.what()),
        "The endpoint refused the API key (HTTP 401): The API key is not valid for this server.");
  }
  EXPECT_THROW(flint::remote::RemoteClient({server.url(), "", "flint-tiny"}).models(), RemoteError);
  EXPECT_FALSE(RemoteChat({server.url(), "sesame", "flint-tiny"})
                   .generate(greedy("Hi", flint::engine::ThinkingMode::kNonThink, 4), sink)
                   .answer.empty());
}

TEST(RemoteErrors, NothingListeningIsASentence) {
  const flint::testing::ClosedPort closed;
  const int port = closed.port();
  Collect sink;
  try {
    RemoteChat({"http://127.0.0.1:" + std::to_string(port) + "/v1", "", "flint-tiny"})
        .generate(greedy("Hi", flint::engine::ThinkingMode::kNonThink, 4), sink);
    FAIL() << "no error";
  } catch (const RemoteError& e) {
    const std::string words = e.what();
    EXPECT_EQ(words.rfind("Nothing answers at http://127.0.0.1:", 0), 0u) << words;
    EXPECT_EQ(words.back(), '.');
  }
}

// A value of flint-cli serve's /metrics, -1 when absent.
double metric(int port, const std::string& key) {
  httplib::Client c("127.0.0.1", port);
  auto r = c.Get("/metrics");
  return r && r->status == 200 ? flint::testing::metricValue(r->body, key) : -1;
}

// A whole-answer client that hangs up once the answer has begun stops its generation: the
// server writes a space (leading JSON whitespace) every heartbeat and a failed write cancels.
// small_alphabet repeats the alphabet and never ends on its own, so only the cancel stops it.
TEST(ServerWholeAnswer, AClientThatLeavesMidAnswerStopsItsGeneration) {
  ServeProcess server(FLINT_TEST_CLI,
                      {"--model", std::string(FLINT_TEST_CHECKPOINTS) + "/small_alphabet"});
  constexpr int kMaxTokens = 100000;
  const nlohmann::json body = {{"messages", {{{"role", "user"}, {"content", "hi"}}}},
                               {"temperature", 0},
                               {"max_tokens", kMaxTokens}};
  httplib::Client c("127.0.0.1", server.port());
  httplib::Request req;
  req.method = "POST";
  req.path = "/v1/chat/completions";
  req.body = body.dump();
  req.set_header("Content-Type", "application/json");
  std::string first;
  req.content_receiver = [&](const char* data, std::size_t n, std::uint64_t, std::uint64_t) {
    first.assign(data, n);
    return false;  // hang up at the first bytes
  };
  c.send(req);
  EXPECT_EQ(first.find_first_not_of(' '), std::string::npos) << "a heartbeat, not the answer";
  const auto key = "flint_generations_total{outcome=\"cancelled\"}";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (metric(server.port(), key) < 1 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(metric(server.port(), key), 1);
  EXPECT_LT(metric(server.port(), "flint_generated_tokens_total"), kMaxTokens);

  // A client that stays gets the whole answer: JSON after the heartbeat spaces.
  nlohmann::json shorter = body;
  shorter["max_tokens"] = 600;
  auto r = c.Post("/v1/chat/completions", shorter.dump(), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  const nlohmann::json answer = nlohmann::json::parse(r->body);
  EXPECT_EQ(answer["usage"]["completion_tokens"], 600);
  EXPECT_NE(answer["choices"][0]["message"]["content"].get<std::string>().find("abcdefghijklmnop"),
            std::string::npos);
}

}  // namespace
