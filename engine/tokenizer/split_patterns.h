#pragma once
// Hand-written matchers for the Split regexes of DeepSeek's pre-tokenizer. Each behaves like
// the regex anchored at one position (leftmost alternative first, greedy with backtracking,
// as Oniguruma and JavaScript run it), on well-formed UTF-8.
#include <cstddef>
#include <string_view>

namespace flint::engine {

// Length in bytes of the match starting at `pos` of `piece`, or 0 when none starts there.
// None of the patterns can match the empty string.
using SplitMatcher = std::size_t (*)(std::string_view piece, std::size_t pos);

// The matcher for a Split pattern's regex source as tokenizer.json spells it, or nullptr.
SplitMatcher findSplitMatcher(std::string_view regex);

}  // namespace flint::engine
