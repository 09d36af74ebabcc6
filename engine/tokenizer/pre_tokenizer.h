#pragma once
// The pre-tokenizer as tokenizer.json declares it: a Sequence of Split steps (behavior
// Isolated, each with a regex Flint has a hand-written matcher for) ending in a ByteLevel
// step that only maps bytes (use_regex false). Each Split cuts every piece the earlier steps
// made into its matches and the gaps between them; the pieces are byte spans of the input.
#include <nlohmann/json_fwd.hpp>

#include <string_view>
#include <vector>

#include "engine/tokenizer/split_patterns.h"

namespace flint::engine {

class PreTokenizer {
 public:
  // Reads the "pre_tokenizer" section; throws TokenizerError on a shape Flint does not run.
  static PreTokenizer fromJson(const nlohmann::json& section);

  // Appends the pieces of well-formed UTF-8 `text` to `pieces`, in order, covering it all.
  void split(std::string_view text, std::vector<std::string_view>& pieces) const;

 private:
  void splitFrom(std::size_t step, std::string_view piece,
                 std::vector<std::string_view>& pieces) const;

  std::vector<SplitMatcher> steps_;
};

}  // namespace flint::engine
