#pragma once
// The added tokens of tokenizer.json (special or not), matched in text before BPE: at each
// position the longest token content that starts there wins, and the earliest position wins
// overall (leftmost-longest, as Hugging Face's added vocabulary does it).
#include <nlohmann/json_fwd.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/tokenizer/token_id.h"

namespace flint::engine {

struct AddedToken {
  TokenId id;
  std::string content;
  bool special;
};

struct AddedTokenMatch {
  std::size_t pos;
  std::size_t length;
  TokenId id;
};

class AddedTokens {
 public:
  // Reads the "added_tokens" list (null or absent: none); throws TokenizerError.
  static AddedTokens fromJson(const nlohmann::json& list);

  const std::vector<AddedToken>& tokens() const { return tokens_; }
  std::optional<TokenId> findId(std::string_view content) const;

  // The leftmost-longest match in `text` at or after `from`.
  std::optional<AddedTokenMatch> findNext(std::string_view text, std::size_t from) const;

 private:
  // A byte trie over the contents; node 0 is the root.
  struct Node {
    std::vector<std::pair<unsigned char, int>> children;  // sorted by byte
    int token = -1;                                       // index into tokens_
  };

  void insert(std::size_t tokenIndex);
  int child(int node, unsigned char byte) const;

  std::vector<AddedToken> tokens_;
  std::vector<Node> nodes_;
  bool startsToken_[256] = {};  // first bytes of any content: a fast reject for most bytes
};

}  // namespace flint::engine
