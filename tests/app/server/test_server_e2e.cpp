// flint-cli serve end to end: a real server process on loopback (--port 0), real HTTP
// clients (cpp-httplib's and curl), the bundled flint-tiny model.
#include "tests/app/remote/serve_process.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <map>
#include <sstream>
#include <thread>

namespace {

using nlohmann::json;
using namespace std::chrono_literals;

// One `flint-cli serve --port 0 ...` process with a client that waits long enough for a
// generation.
class ServerProcess : public flint::testing::ServeProcess {
 public:
  explicit ServerProcess(std::vector<std::string> extra)
      : ServeProcess(FLINT_TEST_CLI, std::move(extra)) {}
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port());
    c.set_read_timeout(60, 0);
    return c;
  }
};

json chatBody(const std::string& question, const std::string& mode = "non-think",
              int maxTokens = 48) {
  return {{"messages", {{{"role", "user"}, {"content", question}}}},
          {"thinking_mode", mode},
          {"temperature", 0},
          {"seed", 7},
          {"max_tokens", maxTokens}};
}

// About 2,900 tokens: a prefill that keeps the engine busy for a second or more.
std::string longQuestion(int n) {
  std::string q = "Question " + std::to_string(n) + ". ";
  for (int i = 0; i < 120; ++i) q += "The quick brown fox jumps over the lazy dog. ";
  return q + "What did the fox do?";
}

httplib::Result post(httplib::Client& c, const json& body) {
  return c.Post("/v1/chat/completions", body.dump(), "application/json");
}

struct Streamed {
  std::vector<json> chunks;
  bool done = false;
  std::string reasoning, content;
};

Streamed parseStream(const std::string& text) {
  Streamed s;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("data: ", 0) != 0) continue;
    const std::string data = line.substr(6);
    if (data == "[DONE]") {
      s.done = true;
      continue;
    }
    EXPECT_FALSE(s.done) << "data after [DONE]";
    json chunk = json::parse(data);
    const json& delta = chunk["choices"][0]["delta"];
    s.reasoning += delta.value("reasoning_content", "");
    s.content += delta.value("content", "");
    s.chunks.push_back(std::move(chunk));
  }
  return s;
}

double metric(httplib::Client& c, const std::string& key) {
  auto r = c.Get("/metrics");
  return r && r->status == 200 ? flint::testing::metricValue(r->body, key) : -1;
}

class Server : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new ServerProcess({"--max-body", "65536"}); }
  static void TearDownTestSuite() {
    EXPECT_EQ(server_->stop(), 0) << "Ctrl-C stops the server cleanly";
    delete server_;
  }
  static ServerProcess* server_;
};
ServerProcess* Server::server_ = nullptr;

TEST_F(Server, ListsTheLoadedModel) {
  auto c = server_->client();
  auto r = c.Get("/v1/models");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  const json j = json::parse(r->body);
  EXPECT_EQ(j["object"], "list");
  EXPECT_EQ(j["data"][0]["id"], "flint-tiny");
}

TEST_F(Server, StreamedDeltasMatchTheWholeAnswer) {
  auto c = server_->client();
  auto whole = post(c, chatBody("Tell me a joke."));
  ASSERT_TRUE(whole);
  ASSERT_EQ(whole->status, 200) << whole->body;
  const json answer = json::parse(whole->body);
  EXPECT_EQ(answer["object"], "chat.completion");
  const std::string text = answer["choices"][0]["message"]["content"];
  EXPECT_FALSE(text.empty());
  const json usage = answer["usage"];
  EXPECT_GT(usage["prompt_tokens"].get<int>(), 0);
  EXPECT_GT(usage["completion_tokens"].get<int>(), 0);
  EXPECT_EQ(usage["total_tokens"],
            usage["prompt_tokens"].get<int>() + usage["completion_tokens"].get<int>());

  json body = chatBody("Tell me a joke.");
  body["stream"] = true;
  auto streamed = post(c, body);
  ASSERT_TRUE(streamed);
  ASSERT_EQ(streamed->status, 200);
  EXPECT_EQ(streamed->get_header_value("Content-Type"), "text/event-stream");
  const Streamed s = parseStream(streamed->body);
  EXPECT_TRUE(s.done) << "the stream ends with data: [DONE]";
  ASSERT_GE(s.chunks.size(), 3u);
  for (const json& chunk : s.chunks) EXPECT_EQ(chunk["object"], "chat.completion.chunk");
  EXPECT_EQ(s.chunks.front()["choices"][0]["delta"]["role"], "assistant");
  EXPECT_EQ(s.content, text) << "same seed, temperature 0: the same answer";
  EXPECT_EQ(s.chunks.back()["choices"][0]["finish_reason"], answer["choices"][0]["finish_reason"]);
  EXPECT_EQ(s.chunks.back()["usage"]["completion_tokens"], usage["completion_tokens"]);
}

TEST_F(Server, HighModeSplitsReasoningFromTheAnswer) {
  auto c = server_->client();
  auto r = post(c, chatBody("Hi", "high", 80));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const json message = json::parse(r->body)["choices"][0]["message"];
  EXPECT_FALSE(message.value("reasoning_content", "").empty());
  EXPECT_FALSE(message.value("content", "").empty());
  EXPECT_EQ(message["content"].get<std::string>().find("</think>"), std::string::npos);

  json body = chatBody("Hi", "high", 80);
  body["stream"] = true;
  const Streamed s = parseStream(post(c, body)->body);
  EXPECT_EQ(s.reasoning, message["reasoning_content"]);
  EXPECT_EQ(s.content, message["content"]);

  // DeepSeek's spelling turns thinking on too; non-think gives no reasoning.
  json effort = chatBody("Hi", "non-think", 80);
  effort.erase("thinking_mode");
  effort["reasoning_effort"] = "high";
  EXPECT_EQ(json::parse(post(c, effort)->body)["choices"][0]["message"]["reasoning_content"],
            message["reasoning_content"]);
  const json plain = json::parse(post(c, chatBody("Hi"))->body)["choices"][0]["message"];
  EXPECT_FALSE(plain.contains("reasoning_content"));
}

TEST_F(Server, BadRequestsGetTheRightStatusAndASentence) {
  auto c = server_->client();
  const auto expectError = [](const httplib::Result& r, int status, const std::string& words) {
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, status);
    const json j = json::parse(r->body);
    const std::string message = j["error"]["message"];
    EXPECT_NE(message.find(words), std::string::npos) << message;
    EXPECT_TRUE(j["error"].contains("type"));
  };
  expectError(c.Post("/v1/chat/completions", "{\"messages\": [", "application/json"), 400,
              "not valid JSON");
  expectError(c.Post("/v1/chat/completions", "{}", "application/json"), 400, "messages");
  json badTemperature = chatBody("x");
  badTemperature["temperature"] = "hot";
  expectError(post(c, badTemperature), 400, "temperature");
  expectError(c.Get("/v1/nothing"), 404, "/v1/nothing");
  const std::string huge(200 * 1024, 'x');
  expectError(c.Post("/v1/chat/completions", huge, "application/json"), 413, "larger");
}

TEST_F(Server, MetricsCountRequestsTokensAndSpeculation) {
  auto c = server_->client();
  const double tokens = metric(c, "flint_generated_tokens_total");
  const double ok = metric(c, "flint_requests_total{path=\"/v1/chat/completions\",status=\"200\"}");
  ASSERT_GE(tokens, 0);
  auto r = post(c, chatBody("Tell me about the sea.", "high", 64));
  ASSERT_TRUE(r);
  const int generated = json::parse(r->body)["usage"]["completion_tokens"];
  EXPECT_EQ(metric(c, "flint_generated_tokens_total"), tokens + generated);
  EXPECT_EQ(metric(c, "flint_requests_total{path=\"/v1/chat/completions\",status=\"200\"}"),
            std::max(ok, 0.0) + 1);
  // flint-tiny has a drafter, so speculation ran and its counters moved.
  EXPECT_GT(metric(c, "flint_spec_verify_passes_total") + metric(c, "flint_spec_plain_steps_total"),
            0);
  EXPECT_GE(metric(c, "flint_spec_position_tried_total{position=\"0\"}"), 0);
  EXPECT_GE(metric(c, "flint_expert_host_hits_total"), 0);
  auto text = c.Get("/metrics");
  EXPECT_NE(text->body.find("# TYPE flint_spec_accepted_tokens_total counter"), std::string::npos);
}

TEST_F(Server, CurlStreamsReasoning) {
  if (std::system("curl --version > /dev/null 2>&1") != 0) GTEST_SKIP() << "curl is not installed";
  json body = chatBody("Hi", "high", 80);
  body["stream"] = true;
  const std::string command = "curl -sN -H 'Content-Type: application/json' -d '" + body.dump() +
                              "' http://127.0.0.1:" + std::to_string(server_->port()) +
                              "/v1/chat/completions";
  FILE* p = popen(command.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[4096];
  while (std::size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  EXPECT_EQ(pclose(p), 0);
  const Streamed s = parseStream(out);
  EXPECT_TRUE(s.done);
  EXPECT_FALSE(s.reasoning.empty());
  EXPECT_FALSE(s.content.empty());

  const std::string code = "curl -s -o /dev/null -w '%{http_code}' -d '{bad' http://127.0.0.1:" +
                           std::to_string(server_->port()) + "/v1/chat/completions";
  p = popen(code.c_str(), "r");
  ASSERT_NE(p, nullptr);
  out.clear();
  while (std::size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  pclose(p);
  EXPECT_EQ(out, "400");
}

TEST(ServerKey, WrongOrMissingKeyIs401) {
  ServerProcess server({"--api-key", "sesame"});
  auto c = server.client();
  auto none = c.Get("/v1/models");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 401);
  EXPECT_EQ(json::parse(none->body)["error"]["type"], "authentication_error");
  c.set_bearer_token_auth("wrong");
  EXPECT_EQ(c.Get("/v1/models")->status, 401);
  EXPECT_EQ(post(c, chatBody("Hi"))->status, 401);
  c.set_bearer_token_auth("sesame");
  EXPECT_EQ(c.Get("/v1/models")->status, 200);
  EXPECT_EQ(post(c, chatBody("Hi"))->status, 200);
  EXPECT_EQ(server.stop(), 0);
}

TEST(ServerQueue, FullQueueAnswers503AndLosesNothing) {
  ServerProcess server({"--queue", "2"});
  constexpr int kClients = 4;
  std::vector<std::thread> clients;
  std::vector<int> status(kClients, 0);
  std::vector<std::string> answers(kClients), retryAfter(kClients);
  for (int i = 0; i < kClients; ++i)
    clients.emplace_back([&, i] {
      auto c = server.client();
      auto r = post(c, chatBody(longQuestion(i), "non-think", 8));
      if (!r) return;
      status[i] = r->status;
      retryAfter[i] = r->get_header_value("Retry-After");
      answers[i] = r->status == 200 ? json::parse(r->body)["choices"][0]["message"]["content"]
                                    : json::parse(r->body)["error"]["message"];
    });
  for (auto& t : clients) t.join();
  int served = 0, rejected = 0;
  for (int i = 0; i < kClients; ++i) {
    if (status[i] == 200) ++served;
    if (status[i] == 503) {
      ++rejected;
      EXPECT_FALSE(retryAfter[i].empty());
      EXPECT_NE(answers[i].find("busy"), std::string::npos) << answers[i];
    }
  }
  EXPECT_EQ(served + rejected, kClients) << "every request gets an answer";
  EXPECT_GE(served, 1);
  EXPECT_GE(rejected, 1) << "one generating and two waiting leave no room for a fourth";
  // Each served answer is its own: the same request alone gives the same text.
  auto c = server.client();
  for (int i = 0; i < kClients; ++i) {
    if (status[i] != 200) continue;
    auto alone = post(c, chatBody(longQuestion(i), "non-think", 8));
    ASSERT_TRUE(alone);
    EXPECT_EQ(json::parse(alone->body)["choices"][0]["message"]["content"], answers[i]) << i;
  }
  EXPECT_EQ(server.stop(), 0);
}

// Streams `body` and hangs up once the server has sent `bytes` bytes.
// Streams a chat and hangs up, once `stay` has passed, at its first generated text or keep-alive.
void streamThenLeave(int port, json body, std::chrono::milliseconds stay) {
  body["stream"] = true;
  httplib::Client c("127.0.0.1", port);
  httplib::Request req;
  req.method = "POST";
  req.path = "/v1/chat/completions";
  req.body = body.dump();
  req.set_header("Content-Type", "application/json");
  const auto start = std::chrono::steady_clock::now();
  std::string received;
  req.content_receiver = [&](const char* data, std::size_t n, std::uint64_t, std::uint64_t) {
    received.append(data, n);
    const bool waited = received.find(": waiting") != std::string::npos;
    const bool text = received.find("reasoning_content") != std::string::npos ||
                      received.rfind("\"content\":\"") != received.find("\"content\":\"\"");
    return std::chrono::steady_clock::now() - start < stay || !(waited || text);
  };
  c.send(req);
}

TEST(ServerCancel, ClientThatLeavesStopsItsGenerationAndLeavesTheQueue) {
  // small_alphabet never ends a reply on its own, so only a cancel stops A.
  ServerProcess server(
      {"--queue", "2", "--model", std::string(FLINT_TEST_CHECKPOINTS) + "/small_alphabet"});
  auto c = server.client();
  // A streams for a second and leaves. B waits behind A and leaves at its first keep-alive; the
  // server finds it gone at a later keep-alive, while A still runs, and drops it at its turn.
  constexpr int kLimit = 20000;
  std::thread a(
      [&] { streamThenLeave(server.port(), chatBody("Question 1", "high", kLimit), 1s); });
  std::thread b([&] {
    std::this_thread::sleep_for(30ms);
    streamThenLeave(server.port(), chatBody("Question 2", "high", kLimit), 0ms);
  });
  a.join();
  b.join();
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while ((metric(c, "flint_generations_total{outcome=\"cancelled\"}") < 1 ||
          metric(c, "flint_queue_dropped_total") < 1) &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(50ms);
  EXPECT_EQ(metric(c, "flint_generations_total{outcome=\"cancelled\"}"), 1);
  EXPECT_EQ(metric(c, "flint_queue_dropped_total"), 1);
  EXPECT_LT(metric(c, "flint_generated_tokens_total"), kLimit) << "A stopped when it left";
  // The engine is free again: a short request is answered at once.
  const auto start = std::chrono::steady_clock::now();
  auto r = post(c, chatBody("Hi"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_EQ(server.stop(), 0);
}

}  // namespace
