// The remote backend's parsers on captured texts: server-sent events cut at every byte, the
// Prometheus text format, and the three speculation dialects (flint-cli serve, vLLM, SGLang)
// converted into the engine's counters by differencing before and after a reply.
#include "app/remote/prometheus_text.h"
#include "app/remote/remote_chat.h"
#include "app/remote/remote_client.h"
#include "app/remote/remote_spec_metrics.h"
#include "app/remote/sse_parser.h"

#include <gtest/gtest.h>

#include <climits>

#include <string>
#include <vector>

namespace {

using flint::remote::MetricSamples;
using flint::remote::SpecDialect;

std::vector<std::string> events(const std::string& stream, std::size_t piece) {
  std::vector<std::string> out;
  flint::remote::SseParser parser([&](std::string_view data) { out.emplace_back(data); });
  for (std::size_t at = 0; at < stream.size(); at += piece)
    parser.feed(std::string_view(stream).substr(at, piece));
  parser.finish();
  return out;
}

TEST(SseParser, EventsSurviveAnyCutAndLineEnding) {
  const std::string lf =
      ": waiting\n\ndata: {\"a\":1}\n\ndata: line one\ndata: line two\n\nevent: x\ndata:[DONE]\n\n";
  std::string crlf;
  for (char c : lf) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  const std::vector<std::string> expected = {"{\"a\":1}", "line one\nline two", "[DONE]"};
  for (const std::string& text : {lf, crlf})
    for (std::size_t piece : {1u, 2u, 3u, 7u, 1000u})
      EXPECT_EQ(events(text, piece), expected) << "piece " << piece;
  EXPECT_EQ(events("data: unterminated", 4), std::vector<std::string>{"unterminated"});
  EXPECT_TRUE(events(": only a comment\n\n", 1).empty());
}

TEST(PrometheusText, SamplesLabelsAndOddLines) {
  const MetricSamples m = MetricSamples::parse(
      "# HELP a_total A.\n# TYPE a_total counter\n"
      "a_total{engine=\"0\",model_name=\"x\\\"y\"} 3\n"
      "a_total{engine=\"1\"} 4.5e+00 1700000000000\n"
      "gauge 2\ngauge{rank=\"1\"} 4\n"
      "broken{label=unquoted} 1\nnot a number line\n"
      "inf_value +Inf\r\n");
  EXPECT_DOUBLE_EQ(m.sum("a_total"), 7.5);
  EXPECT_DOUBLE_EQ(m.sum("a_total", "engine", "1"), 4.5);
  EXPECT_EQ(m.samples()[0].labels.at("model_name"), "x\"y");
  EXPECT_DOUBLE_EQ(m.mean("gauge"), 3);
  EXPECT_FALSE(m.has("broken"));
  EXPECT_TRUE(m.has("inf_value"));
  EXPECT_DOUBLE_EQ(m.sum("missing"), 0);
}

// flint-cli serve's names (app/server/server_metrics.cpp), before and after one reply.
TEST(SpecMetrics, FlintCountersAreExact) {
  const std::string family = "# TYPE flint_spec_verify_passes_total counter\n";
  const MetricSamples before =
      MetricSamples::parse(family +
                           "flint_spec_verify_passes_total 10\nflint_spec_plain_steps_total 2\n"
                           "flint_spec_draft_tokens_total 40\nflint_spec_accepted_tokens_total 20\n"
                           "flint_spec_position_tried_total{position=\"0\"} 10\n"
                           "flint_spec_position_tried_total{position=\"1\"} 8\n"
                           "flint_spec_position_accepted_total{position=\"0\"} 8\n"
                           "flint_spec_position_accepted_total{position=\"1\"} 5\n");
  const MetricSamples after =
      MetricSamples::parse(family +
                           "flint_spec_verify_passes_total 14\nflint_spec_plain_steps_total 3\n"
                           "flint_spec_draft_tokens_total 56\nflint_spec_accepted_tokens_total 32\n"
                           "flint_spec_position_tried_total{position=\"0\"} 14\n"
                           "flint_spec_position_tried_total{position=\"1\"} 12\n"
                           "flint_spec_position_accepted_total{position=\"0\"} 12\n"
                           "flint_spec_position_accepted_total{position=\"1\"} 7\n");
  EXPECT_EQ(flint::remote::specDialect(after), SpecDialect::kFlint);
  const auto spec = flint::remote::specBetween(before, after, 30);
  ASSERT_TRUE(spec);
  EXPECT_EQ(spec->steps, 4u);
  EXPECT_EQ(spec->plainSteps, 1u);
  EXPECT_DOUBLE_EQ(spec->acceptanceRate(), 12.0 / 16.0);
  EXPECT_DOUBLE_EQ(spec->meanAcceptedLength(), (12.0 + 4.0) / 4.0);
  ASSERT_EQ(spec->triedAt.size(), 2u);
  EXPECT_DOUBLE_EQ(spec->acceptanceAt(0), 1.0);  // 4 tried, 4 accepted
  EXPECT_DOUBLE_EQ(spec->acceptanceAt(1), 0.5);  // 4 tried, 2 accepted
  // Nothing moved: the reply did not speculate.
  EXPECT_FALSE(flint::remote::specBetween(after, after, 30));
}

// vLLM V1 with 3 speculative tokens, two engines, labels as vLLM writes them.
TEST(SpecMetrics, VllmCountersGiveConditionalAcceptanceByPosition) {
  const auto text = [](int drafts, int accepted, std::vector<int> perPos, const char* perPosName) {
    std::string t =
        "# HELP vllm:spec_decode_num_drafts_total Number of spec decoding drafts.\n"
        "# TYPE vllm:spec_decode_num_drafts_total counter\n";
    t += "vllm:spec_decode_num_drafts_total{engine=\"0\",model_name=\"deepseek-ai/DeepSeek-V4\"} " +
         std::to_string(drafts) + ".0\n";
    t += "vllm:spec_decode_num_drafts_total{engine=\"1\",model_name=\"deepseek-ai/DeepSeek-V4\"} "
         "5.0\n";
    t += "vllm:spec_decode_num_draft_tokens_total{engine=\"0\",model_name=\"deepseek-ai/"
         "DeepSeek-V4\"} " +
         std::to_string(3 * drafts) + ".0\n";
    t += "vllm:spec_decode_num_accepted_tokens_total{engine=\"0\",model_name=\"deepseek-ai/"
         "DeepSeek-V4\"} " +
         std::to_string(accepted) + ".0\n";
    for (std::size_t k = 0; k < perPos.size(); ++k)
      t += std::string(perPosName) +
           "{engine=\"0\",model_name=\"deepseek-ai/DeepSeek-V4\",position=\"" + std::to_string(k) +
           "\"} " + std::to_string(perPos[k]) + ".0\n";
    t +=
        "vllm:generation_tokens_total{engine=\"0\",model_name=\"deepseek-ai/DeepSeek-V4\"} 999.0\n";
    return t;
  };
  for (const char* perPosName : {"vllm:spec_decode_num_accepted_tokens_per_pos_total",
                                 "vllm:spec_decode_num_accepted_tokens_per_pos"}) {
    const MetricSamples before = MetricSamples::parse(text(100, 150, {80, 50, 20}, perPosName));
    const MetricSamples after = MetricSamples::parse(text(120, 180, {96, 60, 24}, perPosName));
    EXPECT_EQ(flint::remote::specDialect(after), SpecDialect::kVllm);
    const auto spec = flint::remote::specBetween(before, after, 50);
    ASSERT_TRUE(spec) << perPosName;
    EXPECT_EQ(spec->steps, 20u);
    EXPECT_EQ(spec->draftTokens, 60u);
    EXPECT_EQ(spec->acceptedTokens, 30u);
    EXPECT_DOUBLE_EQ(spec->acceptanceRate(), 0.5);
    EXPECT_DOUBLE_EQ(spec->meanAcceptedLength(), 2.5);
    ASSERT_EQ(spec->triedAt.size(), 3u);
    EXPECT_DOUBLE_EQ(spec->acceptanceAt(0), 16.0 / 20.0);
    EXPECT_DOUBLE_EQ(spec->acceptanceAt(1), 10.0 / 16.0);
    EXPECT_DOUBLE_EQ(spec->acceptanceAt(2), 4.0 / 10.0);
  }
}

// SGLang's gauges, one per tensor-parallel rank.
TEST(SpecMetrics, SglangGaugesGiveRateAndTokensPerPass) {
  const MetricSamples after = MetricSamples::parse(
      "# HELP sglang:spec_accept_length The average acceptance length of speculative decoding.\n"
      "# TYPE sglang:spec_accept_length gauge\n"
      "sglang:spec_accept_length{dp_rank=\"0\",engine_type=\"unified\",model_name=\"ds\",tp_rank="
      "\"0\"} 2.4\n"
      "sglang:spec_accept_length{dp_rank=\"0\",engine_type=\"unified\",model_name=\"ds\",tp_rank="
      "\"1\"} 2.6\n"
      "sglang:spec_accept_rate{dp_rank=\"0\",engine_type=\"unified\",model_name=\"ds\",tp_rank="
      "\"0\"} 0.375\n"
      "sglang:generation_tokens_total{model_name=\"ds\"} 1000.0\n");
  EXPECT_EQ(flint::remote::specDialect(after), SpecDialect::kSglang);
  const auto spec = flint::remote::specBetween(MetricSamples(), after, 100);
  ASSERT_TRUE(spec);
  EXPECT_EQ(spec->steps, 40u);  // 100 tokens at 2.5 per pass
  EXPECT_DOUBLE_EQ(spec->meanAcceptedLength(), 2.5);
  EXPECT_DOUBLE_EQ(spec->acceptanceRate(), 60.0 / 160.0);
  EXPECT_FALSE(flint::remote::specBetween(MetricSamples(), after, 0));
}

TEST(SpecMetrics, AServerWithoutSpeculationHasNone) {
  const MetricSamples m = MetricSamples::parse("vllm:generation_tokens_total 5\nup 1\n");
  EXPECT_EQ(flint::remote::specDialect(m), SpecDialect::kNone);
  EXPECT_FALSE(flint::remote::specBetween(m, m, 10));
}

TEST(RemoteClient, StatusesBecomeSentencesWithTheServersWords) {
  using flint::remote::statusSentence;
  EXPECT_EQ(statusSentence(401, R"({"error":{"message":"The API key is not valid."}})", "m"),
            "The endpoint refused the API key (HTTP 401): The API key is not valid.");
  EXPECT_EQ(
      statusSentence(404, R"({"object":"error","message":"The model `x` does not exist"})", "x"),
      "The endpoint has no model named 'x' (HTTP 404): The model `x` does not exist.");
  EXPECT_EQ(statusSentence(502, "Bad gateway", "m"),
            "The endpoint failed (HTTP 502): Bad gateway.");
  EXPECT_NE(statusSentence(404, R"({"detail":"Not Found"})", "m").find("/v1"), std::string::npos);
  EXPECT_THROW(flint::remote::RemoteClient({"ftp://host/v1", "", "m"}), flint::remote::RemoteError);
  EXPECT_EQ(flint::remote::RemoteClient({"http://host:8000/", "", "m"}).apiUrl(),
            "http://host:8000/v1");
  EXPECT_EQ(flint::remote::RemoteClient({"https://gw.example/team/v1/", "", "m"}).apiUrl(),
            "https://gw.example/team/v1");
}

TEST(RemoteChat, TheBodyCarriesTheModeAndSampling) {
  flint::engine::GenerateRequest request;
  request.messages = {{flint::engine::ChatRole::kUser, "Hi", ""}};
  request.mode = flint::engine::ThinkingMode::kMax;
  request.sampling.temperature = 0;
  request.sampling.seed = ~0ULL;
  request.maxTokens = 64;
  const auto body = flint::remote::chatCompletionBody(request, "ds");
  EXPECT_EQ(body["model"], "ds");
  EXPECT_EQ(body["stream"], true);
  EXPECT_EQ(body["thinking_mode"], "max");
  EXPECT_EQ(body["chat_template_kwargs"]["thinking"], true);
  EXPECT_EQ(body["max_tokens"], 64);
  EXPECT_LE(body["seed"].get<unsigned long long>(), 0x7fff'ffff'ffff'ffffULL);
  EXPECT_EQ(body["messages"][0]["role"], "user");
  request.maxTokens = INT_MAX;  // the app's "until the context is full"
  EXPECT_FALSE(flint::remote::chatCompletionBody(request, "ds").contains("max_tokens"));
}

}  // namespace
