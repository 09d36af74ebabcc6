#pragma once
// A remote server's speculative-decoding figures for one reply, read from its Prometheus
// /metrics before and after the reply and converted into the engine's SpecCounters, so the
// statistics panel shows them as it shows local ones. Three dialects:
//   flint-cli serve  flint_spec_{verify_passes,plain_steps,draft_tokens,accepted_tokens}_total
//                    and flint_spec_position_{tried,accepted}_total{position="k"}: exact.
//   vLLM             vllm:spec_decode_num_{drafts,draft_tokens,accepted_tokens}_total and
//                    vllm:spec_decode_num_accepted_tokens_per_pos[_total]{position="k"}: exact.
//                    A draft reaches position k when positions 0..k-1 were accepted, so the
//                    drafts that reached k are those accepted at k-1 (all of them at 0).
//   SGLang           gauges sglang:spec_accept_length (tokens per verify pass, the bonus token
//                    included) and sglang:spec_accept_rate, over SGLang's last logging
//                    interval rather than this reply: counters are rebuilt from them and the
//                    reply's token count, so the two rates are right and the counts estimates.
// Counters are server-wide: other clients' replies during this one are counted too.
#include "app/remote/prometheus_text.h"
#include "engine/spec/spec_stats.h"

#include <cstddef>
#include <optional>

namespace flint::remote {

enum class SpecDialect { kNone, kFlint, kVllm, kSglang };

// Which dialect a /metrics text speaks (kNone: no speculation figures at all).
SpecDialect specDialect(const MetricSamples& metrics);

// The reply's speculation, or nullopt when the server exposes none or did not speculate.
// `generatedTokens` is the reply's length (SGLang's gauges need it).
std::optional<engine::SpecCounters> specBetween(const MetricSamples& before,
                                                const MetricSamples& after,
                                                std::size_t generatedTokens);

}  // namespace flint::remote
