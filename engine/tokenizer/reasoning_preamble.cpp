#include "engine/tokenizer/reasoning_preamble.h"

namespace flint::engine {
namespace {

// 476 ASCII bytes: three sentences on three lines, then a blank line. Copied from
// REASONING_EFFORT_MAX in DeepSeek's encoding/encoding_dsv4.py. One third-party note says the
// later -0731 checkpoints use this text for "high" and a new one for "max"; unconfirmed, so
// it has no row yet.
constexpr std::string_view kDeepSeekV4MaxEffort =
    "Reasoning Effort: Absolute maximum with no shortcuts permitted.\n"
    "You MUST be very thorough in your thinking and comprehensively decompose the problem to "
    "resolve the root cause, rigorously stress-testing your logic against all potential paths, "
    "edge cases, and adversarial scenarios.\n"
    "Explicitly write out your entire deliberation process, documenting every intermediate "
    "step, considered alternative, and rejected hypothesis to ensure absolutely no assumption "
    "is left unchecked.\n\n";
static_assert(kDeepSeekV4MaxEffort.size() == 476);

}  // namespace

std::string_view maxEffortPreamble(CheckpointFamily family) {
  switch (family) {
    case CheckpointFamily::kDeepSeekV4:
      return kDeepSeekV4MaxEffort;
  }
  return kDeepSeekV4MaxEffort;
}

}  // namespace flint::engine
