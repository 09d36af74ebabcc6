#pragma once
// The BPE "model" section of tokenizer.json: the vocabulary (kept as raw bytes) and the merge
// ranks. Encoding one pre-token starts from one token per byte and applies the lowest-ranked
// merge among adjacent pairs, leftmost first, until none applies. Repeated pre-tokens (most
// words) come from a cache.
#include <nlohmann/json_fwd.hpp>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/tokenizer/token_id.h"

namespace flint::engine {

class BpeModel {
 public:
  // Reads the "model" section; throws TokenizerError naming what is wrong.
  static BpeModel fromJson(const nlohmann::json& model);

  // Appends the ids of one pre-token (raw bytes, not empty) to `out`.
  void encodeWord(std::string_view word, std::vector<TokenId>& out) const;

  // The id of a vocabulary entry spelled as in tokenizer.json (byte-level characters).
  std::optional<TokenId> findToken(const std::string& spelling) const;
  // One past the largest vocabulary id.
  std::size_t idLimit() const { return tokenBytes_.size(); }
  // The raw bytes of `id`, or nullptr when the vocabulary has no such id or the entry is not
  // a byte-level string.
  const std::string* tokenBytes(TokenId id) const;

 private:
  struct Merge {
    std::int32_t rank;
    TokenId merged;
  };

  BpeModel();
  void readVocab(const nlohmann::json& vocab);
  void readMerges(const nlohmann::json& merges);
  void mergeWord(std::string_view word, std::vector<TokenId>& out) const;

  std::unordered_map<std::string, TokenId> idBySpelling_;
  std::vector<std::string> tokenBytes_;    // by id
  std::vector<std::uint8_t> hasBytes_;     // by id: 1 where tokenBytes_ is meaningful
  std::array<TokenId, 256> byteTokens_{};  // the single-byte tokens every word starts from
  std::unordered_map<std::uint64_t, Merge> merges_;  // key: left id << 32 | right id

  // Ids of recently seen pre-tokens; locked inside, so a const model can serve many threads.
  struct WordCache;
  std::shared_ptr<WordCache> cache_;
};

}  // namespace flint::engine
