#pragma once
// The text Think Max puts right after BOS, per checkpoint family, kept in this one table so a
// family with a different effort ladder changes only here, not the prompt encoder.
#include <string_view>

namespace flint::engine {

enum class CheckpointFamily {
  kDeepSeekV4,  // V4-Flash, V4-Pro and their -DSpark variants as first released
};

// REASONING_EFFORT_MAX of encoding_dsv4.py for `family`, byte for byte.
std::string_view maxEffortPreamble(CheckpointFamily family);

}  // namespace flint::engine
