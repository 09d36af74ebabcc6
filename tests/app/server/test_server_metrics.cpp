// The Prometheus text: every family declared once, the counters summed over generations.
#include "app/server/server_metrics.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <sstream>

namespace flint::server {
namespace {

// "name{labels}" -> value; fails the test on a line that is not a comment or a sample.
std::map<std::string, double> samples(const std::string& text) {
  std::map<std::string, double> out;
  std::set<std::string> typed;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("# TYPE ", 0) == 0) {
      const std::string name = line.substr(7, line.find(' ', 7) - 7);
      EXPECT_TRUE(typed.insert(name).second) << "declared twice: " << name;
      continue;
    }
    if (line.rfind("# HELP ", 0) == 0) continue;
    const auto space = line.rfind(' ');
    EXPECT_NE(space, std::string::npos) << line;
    const std::string key = line.substr(0, space);
    EXPECT_TRUE(typed.count(key.substr(0, key.find('{')))) << "sample before its TYPE: " << line;
    out[key] = std::stod(line.substr(space + 1));
  }
  return out;
}

engine::Stats reply(std::size_t generated) {
  engine::Stats s;
  s.promptTokens = 10;
  s.generatedTokens = generated;
  s.speculating = true;
  s.spec.steps = 2;
  s.spec.draftTokens = 6;
  s.spec.acceptedTokens = 4;
  s.spec.triedAt = {2, 2, 2};
  s.spec.acceptedAt = {2, 1, 1};
  s.expertTiers = true;
  s.experts.hostHits = 30;
  s.experts.diskReads = 3;
  s.experts.bytesRead = 3000;
  return s;
}

TEST(ServerMetrics, StartsAtZero) {
  const auto s = samples(ServerMetrics().prometheusText());
  EXPECT_EQ(s.at("flint_generated_tokens_total"), 0);
  EXPECT_EQ(s.at("flint_spec_draft_tokens_total"), 0);
  EXPECT_EQ(s.at("flint_expert_disk_reads_total"), 0);
  EXPECT_EQ(s.at("flint_generations_total{outcome=\"cancelled\"}"), 0);
}

TEST(ServerMetrics, SumsGenerationsAndRequests) {
  ServerMetrics m;
  m.addGeneration(reply(20), GenerationOutcome::kFinished);
  m.addGeneration(reply(5), GenerationOutcome::kCancelled);
  m.countRequest("/v1/chat/completions", 200);
  m.countRequest("/v1/chat/completions", 200);
  m.countRequest("/v1/chat/completions", 503);
  m.countDropped();
  const auto s = samples(m.prometheusText());
  EXPECT_EQ(s.at("flint_generated_tokens_total"), 25);
  EXPECT_EQ(s.at("flint_prompt_tokens_total"), 20);
  EXPECT_EQ(s.at("flint_generations_total{outcome=\"finished\"}"), 1);
  EXPECT_EQ(s.at("flint_generations_total{outcome=\"cancelled\"}"), 1);
  EXPECT_EQ(s.at("flint_requests_total{path=\"/v1/chat/completions\",status=\"200\"}"), 2);
  EXPECT_EQ(s.at("flint_requests_total{path=\"/v1/chat/completions\",status=\"503\"}"), 1);
  EXPECT_EQ(s.at("flint_queue_dropped_total"), 1);
  EXPECT_EQ(s.at("flint_spec_verify_passes_total"), 4);
  EXPECT_EQ(s.at("flint_spec_draft_tokens_total"), 12);
  EXPECT_EQ(s.at("flint_spec_accepted_tokens_total"), 8);
  EXPECT_EQ(s.at("flint_spec_position_tried_total{position=\"2\"}"), 4);
  EXPECT_EQ(s.at("flint_spec_position_accepted_total{position=\"1\"}"), 2);
  EXPECT_EQ(s.at("flint_expert_host_hits_total"), 60);
  EXPECT_EQ(s.at("flint_expert_disk_reads_total"), 6);
  EXPECT_EQ(s.at("flint_expert_read_bytes_total"), 6000);
}

}  // namespace
}  // namespace flint::server
