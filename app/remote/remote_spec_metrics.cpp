#include "app/remote/remote_spec_metrics.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace flint::remote {
namespace {

constexpr const char* kFlintPasses = "flint_spec_verify_passes_total";
constexpr const char* kFlintPlain = "flint_spec_plain_steps_total";
constexpr const char* kFlintDrafts = "flint_spec_draft_tokens_total";
constexpr const char* kFlintAccepted = "flint_spec_accepted_tokens_total";
constexpr const char* kFlintTriedAt = "flint_spec_position_tried_total";
constexpr const char* kFlintAcceptedAt = "flint_spec_position_accepted_total";

constexpr const char* kVllmDrafts = "vllm:spec_decode_num_drafts_total";
constexpr const char* kVllmDraftTokens = "vllm:spec_decode_num_draft_tokens_total";
constexpr const char* kVllmAccepted = "vllm:spec_decode_num_accepted_tokens_total";
// vLLM has published the per-position counter under both names.
constexpr const char* kVllmAcceptedAt[] = {"vllm:spec_decode_num_accepted_tokens_per_pos_total",
                                           "vllm:spec_decode_num_accepted_tokens_per_pos"};

constexpr const char* kSglangLength = "sglang:spec_accept_length";
constexpr const char* kSglangRate = "sglang:spec_accept_rate";

// A counter's growth over the reply; a restarted server (a counter that went back) counts
// from zero.
std::size_t grown(double before, double after) {
  const double d = after >= before ? after - before : after;
  return std::size_t(std::llround(d));
}

// Per-position counters of `name` by their "position" label, 0, 1, ... until one is missing.
std::vector<std::size_t> byPosition(const MetricSamples& before, const MetricSamples& after,
                                    const char* name) {
  std::vector<std::size_t> out;
  for (std::size_t k = 0;; ++k) {
    const std::string position = std::to_string(k);
    bool present = false;
    for (const MetricSample& s : after.samples())
      if (s.name == name && s.labels.count("position") && s.labels.at("position") == position)
        present = true;
    if (!present) return out;
    out.push_back(
        grown(before.sum(name, "position", position), after.sum(name, "position", position)));
  }
}

engine::SpecCounters flintSpec(const MetricSamples& before, const MetricSamples& after) {
  engine::SpecCounters c;
  c.steps = grown(before.sum(kFlintPasses), after.sum(kFlintPasses));
  c.plainSteps = grown(before.sum(kFlintPlain), after.sum(kFlintPlain));
  c.draftTokens = grown(before.sum(kFlintDrafts), after.sum(kFlintDrafts));
  c.acceptedTokens = grown(before.sum(kFlintAccepted), after.sum(kFlintAccepted));
  c.triedAt = byPosition(before, after, kFlintTriedAt);
  c.acceptedAt = byPosition(before, after, kFlintAcceptedAt);
  c.acceptedAt.resize(c.triedAt.size());
  return c;
}

engine::SpecCounters vllmSpec(const MetricSamples& before, const MetricSamples& after) {
  engine::SpecCounters c;
  c.steps = grown(before.sum(kVllmDrafts), after.sum(kVllmDrafts));
  c.draftTokens = grown(before.sum(kVllmDraftTokens), after.sum(kVllmDraftTokens));
  c.acceptedTokens = grown(before.sum(kVllmAccepted), after.sum(kVllmAccepted));
  for (const char* name : kVllmAcceptedAt)
    if (after.has(name)) c.acceptedAt = byPosition(before, after, name);
  c.triedAt.resize(c.acceptedAt.size());
  for (std::size_t k = 0; k < c.acceptedAt.size(); ++k)
    c.triedAt[k] = k == 0 ? c.steps : c.acceptedAt[k - 1];
  return c;
}

// Counters with SGLang's rates: steps passes made the reply's tokens at `length` tokens each.
std::optional<engine::SpecCounters> sglangSpec(const MetricSamples& after,
                                               std::size_t generatedTokens) {
  const double length = after.mean(kSglangLength);
  const double rate = after.mean(kSglangRate);
  if (!(length > 1) || generatedTokens == 0) return std::nullopt;
  engine::SpecCounters c;
  c.steps = std::max<std::size_t>(1, std::size_t(std::llround(double(generatedTokens) / length)));
  c.acceptedTokens = std::size_t(std::llround((length - 1) * double(c.steps)));
  c.draftTokens = rate > 0 ? std::size_t(std::llround(double(c.acceptedTokens) / rate)) : 0;
  return c;
}

}  // namespace

SpecDialect specDialect(const MetricSamples& metrics) {
  if (metrics.has(kFlintPasses)) return SpecDialect::kFlint;
  if (metrics.has(kVllmDrafts)) return SpecDialect::kVllm;
  if (metrics.has(kSglangLength)) return SpecDialect::kSglang;
  return SpecDialect::kNone;
}

std::optional<engine::SpecCounters> specBetween(const MetricSamples& before,
                                                const MetricSamples& after,
                                                std::size_t generatedTokens) {
  switch (specDialect(after)) {
    case SpecDialect::kFlint: {
      engine::SpecCounters c = flintSpec(before, after);
      if (c.steps + c.plainSteps == 0) return std::nullopt;
      return c;
    }
    case SpecDialect::kVllm: {
      engine::SpecCounters c = vllmSpec(before, after);
      if (c.steps == 0) return std::nullopt;
      return c;
    }
    case SpecDialect::kSglang:
      return sglangSpec(after, generatedTokens);
    case SpecDialect::kNone:
      return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace flint::remote
