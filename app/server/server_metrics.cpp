#include "app/server/server_metrics.h"

#include <sstream>

namespace flint::server {
namespace {

const char* outcomeName(GenerationOutcome outcome) {
  switch (outcome) {
    case GenerationOutcome::kFinished:
      return "finished";
    case GenerationOutcome::kCancelled:
      return "cancelled";
    case GenerationOutcome::kFailed:
      return "failed";
  }
  return "failed";
}

// Writes "# HELP" and "# TYPE" once per metric family.
void family(std::ostringstream& out, const char* name, const char* type, const char* help) {
  out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
}

template <typename T>
void sample(std::ostringstream& out, const char* name, T value) {
  out << name << ' ' << value << '\n';
}

// A counter with one unlabelled sample: its HELP and TYPE lines, then the value.
template <typename T>
void counter(std::ostringstream& out, const char* name, const char* help, T value) {
  family(out, name, "counter", help);
  sample(out, name, value);
}

}  // namespace

void ServerMetrics::countRequest(const std::string& path, int status) {
  std::lock_guard lock(mutex_);
  ++requests_[{path, status}];
}

void ServerMetrics::countDropped() {
  std::lock_guard lock(mutex_);
  ++dropped_;
}

void ServerMetrics::addGeneration(const engine::Stats& stats, GenerationOutcome outcome) {
  std::lock_guard lock(mutex_);
  ++generations_[outcome];
  promptTokens_ += stats.promptTokens;
  generatedTokens_ += stats.generatedTokens;
  prefillSeconds_ += stats.prefillSeconds;
  decodeSeconds_ += stats.decodeSeconds;
  if (stats.speculating) spec_ += stats.spec;
  if (stats.expertTiers) {
    experts_.hostHits += stats.experts.hostHits;
    experts_.diskReads += stats.experts.diskReads;
    experts_.bytesRead += stats.experts.bytesRead;
    experts_.readSeconds += stats.experts.readSeconds;
  }
}

void ServerMetrics::setQueueDepth(std::size_t waiting) {
  std::lock_guard lock(mutex_);
  queueDepth_ = waiting;
}

std::string ServerMetrics::prometheusText() const {
  std::lock_guard lock(mutex_);
  std::ostringstream out;
  out.precision(9);

  family(out, "flint_requests_total", "counter", "HTTP requests answered, by path and status.");
  for (const auto& [key, count] : requests_)
    out << "flint_requests_total{path=\"" << key.first << "\",status=\"" << key.second << "\"} "
        << count << '\n';
  family(out, "flint_generations_total", "counter",
         "Replies generated, by how they ended (cancelled: the client left).");
  for (GenerationOutcome o :
       {GenerationOutcome::kFinished, GenerationOutcome::kCancelled, GenerationOutcome::kFailed}) {
    const auto it = generations_.find(o);
    out << "flint_generations_total{outcome=\"" << outcomeName(o) << "\"} "
        << (it == generations_.end() ? 0 : it->second) << '\n';
  }
  counter(out, "flint_queue_dropped_total",
          "Queued requests dropped because their client left before their turn.", dropped_);
  family(out, "flint_queue_waiting", "gauge", "Requests waiting for the engine now.");
  sample(out, "flint_queue_waiting", queueDepth_);

  counter(out, "flint_prompt_tokens_total",
          "Prompt tokens prefilled (a cached prefix is not counted again).", promptTokens_);
  counter(out, "flint_generated_tokens_total", "Tokens generated.", generatedTokens_);
  counter(out, "flint_prefill_seconds_total", "Time spent prefilling prompts.", prefillSeconds_);
  counter(out, "flint_decode_seconds_total", "Time spent decoding.", decodeSeconds_);

  counter(out, "flint_spec_verify_passes_total",
          "Speculative verify passes that carried at least one draft.", spec_.steps);
  counter(out, "flint_spec_plain_steps_total",
          "Decode steps the draft scheduler ran without drafts.", spec_.plainSteps);
  counter(out, "flint_spec_draft_tokens_total", "Draft tokens verified.", spec_.draftTokens);
  counter(out, "flint_spec_accepted_tokens_total", "Draft tokens the target model accepted.",
          spec_.acceptedTokens);
  family(out, "flint_spec_position_tried_total", "counter",
         "Drafts the verification reached, by draft position (0 is the first draft).");
  for (std::size_t k = 0; k < spec_.triedAt.size(); ++k)
    out << "flint_spec_position_tried_total{position=\"" << k << "\"} " << spec_.triedAt[k] << '\n';
  family(out, "flint_spec_position_accepted_total", "counter",
         "Drafts accepted, by draft position.");
  for (std::size_t k = 0; k < spec_.acceptedAt.size(); ++k)
    out << "flint_spec_position_accepted_total{position=\"" << k << "\"} " << spec_.acceptedAt[k]
        << '\n';

  counter(out, "flint_expert_host_hits_total",
          "Routed-expert uses served from host memory (0 when every expert stays mapped).",
          experts_.hostHits);
  counter(out, "flint_expert_disk_reads_total",
          "Routed-expert uses read from the checkpoint on disk.", experts_.diskReads);
  counter(out, "flint_expert_read_bytes_total", "Bytes of experts read from disk.",
          experts_.bytesRead);
  return out.str();
}

}  // namespace flint::server
