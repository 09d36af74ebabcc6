#include "engine/tokenizer/bpe_model.h"

#include "engine/tokenizer/byte_level.h"
#include "engine/tokenizer/tokenizer_error.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <limits>
#include <mutex>
#include <queue>
#include <utility>

namespace flint::engine {

struct BpeModel::WordCache {
  // Words longer than this are rare enough not to be worth keeping.
  static constexpr std::size_t kMaxWordBytes = 128;
  // Cleared when full: a chat's vocabulary of words is far smaller.
  static constexpr std::size_t kMaxEntries = 1 << 17;

  std::mutex mutex;
  std::unordered_map<std::string, std::vector<TokenId>> entries;
};

namespace {

std::uint64_t pairKey(TokenId left, TokenId right) {
  return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(left)) << 32) |
         static_cast<std::uint32_t>(right);
}

// "a b" or ["a", "b"]; HF requires exactly one space in the string form.
std::pair<std::string, std::string> mergeParts(const nlohmann::json& merge, std::size_t index) {
  if (merge.is_array() && merge.size() == 2 && merge[0].is_string() && merge[1].is_string())
    return {merge[0].get<std::string>(), merge[1].get<std::string>()};
  if (merge.is_string()) {
    const std::string text = merge.get<std::string>();
    const std::size_t space = text.find(' ');
    if (space != std::string::npos && text.find(' ', space + 1) == std::string::npos)
      return {text.substr(0, space), text.substr(space + 1)};
  }
  throw TokenizerError("merge " + std::to_string(index) +
                       " is neither \"left right\" nor [\"left\", \"right\"]");
}

}  // namespace

BpeModel::BpeModel() : cache_(std::make_shared<WordCache>()) {}

BpeModel BpeModel::fromJson(const nlohmann::json& model) {
  if (!model.is_object()) throw TokenizerError("tokenizer.json has no \"model\" section");
  if (model.value("type", "BPE") != "BPE")
    throw TokenizerError("the model type '" + model.value("type", "") + "' is not BPE");
  if (model.value("byte_fallback", false) || model.value("ignore_merges", false) ||
      !model.value("continuing_subword_prefix", nlohmann::json()).is_null() ||
      !model.value("end_of_word_suffix", nlohmann::json()).is_null())
    throw TokenizerError(
        "the BPE model uses byte_fallback, ignore_merges or subword affixes, which Flint does "
        "not support");
  if (!model.contains("vocab") || !model["vocab"].is_object())
    throw TokenizerError("the BPE model has no \"vocab\" object");
  if (!model.contains("merges") || !model["merges"].is_array())
    throw TokenizerError("the BPE model has no \"merges\" list");
  BpeModel result;
  result.readVocab(model["vocab"]);
  result.readMerges(model["merges"]);
  return result;
}

void BpeModel::readVocab(const nlohmann::json& vocab) {
  constexpr auto kMaxId = static_cast<std::int64_t>(std::numeric_limits<TokenId>::max() - 1);
  std::int64_t maxId = -1;
  for (const auto& [spelling, id] : vocab.items()) {
    if (!id.is_number_integer() || id.get<std::int64_t>() < 0 || id.get<std::int64_t>() > kMaxId)
      throw TokenizerError("the vocabulary entry '" + spelling + "' has no valid id");
    maxId = std::max(maxId, id.get<std::int64_t>());
  }
  // Ids index flat tables; a sparse vocabulary far larger than its entry count is broken.
  if (maxId >= static_cast<std::int64_t>(vocab.size()) + (1 << 20))
    throw TokenizerError("the vocabulary ids run up to " + std::to_string(maxId) + " for only " +
                         std::to_string(vocab.size()) + " entries");
  tokenBytes_.resize(static_cast<std::size_t>(maxId + 1));
  hasBytes_.assign(tokenBytes_.size(), 0);
  std::vector<const std::string*> spellingOfId(tokenBytes_.size(), nullptr);
  for (const auto& [spelling, idJson] : vocab.items()) {
    const auto id = idJson.get<TokenId>();
    auto [it, inserted] = idBySpelling_.emplace(spelling, id);
    if (spellingOfId[id])
      throw TokenizerError("the vocabulary gives id " + std::to_string(id) + " to both '" +
                           *spellingOfId[id] + "' and '" + spelling + "'");
    spellingOfId[id] = &it->first;
    if (auto bytes = bytesFromByteLevel(spelling)) {
      tokenBytes_[id] = std::move(*bytes);
      hasBytes_[id] = 1;
    }
  }
  for (unsigned byte = 0; byte < 256; ++byte) {
    auto it = idBySpelling_.find(byteLevelSpelling(static_cast<unsigned char>(byte)));
    if (it == idBySpelling_.end()) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02X", byte);
      throw TokenizerError(std::string("the vocabulary has no token for the byte ") + hex);
    }
    byteTokens_[byte] = it->second;
  }
}

void BpeModel::readMerges(const nlohmann::json& merges) {
  merges_.reserve(merges.size());
  for (std::size_t i = 0; i < merges.size(); ++i) {
    auto [left, right] = mergeParts(merges[i], i);
    auto idOf = [&](const std::string& spelling) {
      auto it = idBySpelling_.find(spelling);
      if (it == idBySpelling_.end())
        throw TokenizerError("merge " + std::to_string(i) + " names '" + spelling +
                             "', which is not in the vocabulary");
      return it->second;
    };
    const TokenId leftId = idOf(left);
    const TokenId rightId = idOf(right);
    const TokenId merged = idOf(left + right);
    // A repeated pair keeps its last rank, as Hugging Face's loader does.
    merges_[pairKey(leftId, rightId)] = Merge{static_cast<std::int32_t>(i), merged};
  }
}

std::optional<TokenId> BpeModel::findToken(const std::string& spelling) const {
  auto it = idBySpelling_.find(spelling);
  if (it == idBySpelling_.end()) return std::nullopt;
  return it->second;
}

const std::string* BpeModel::tokenBytes(TokenId id) const {
  if (id < 0 || static_cast<std::size_t>(id) >= tokenBytes_.size() || !hasBytes_[id])
    return nullptr;
  return &tokenBytes_[id];
}

void BpeModel::encodeWord(std::string_view word, std::vector<TokenId>& out) const {
  if (word.size() > WordCache::kMaxWordBytes) {
    mergeWord(word, out);
    return;
  }
  const std::string key(word);
  {
    std::lock_guard lock(cache_->mutex);
    auto it = cache_->entries.find(key);
    if (it != cache_->entries.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  const std::size_t start = out.size();
  mergeWord(word, out);
  std::lock_guard lock(cache_->mutex);
  if (cache_->entries.size() >= WordCache::kMaxEntries) cache_->entries.clear();
  cache_->entries.emplace(key, std::vector<TokenId>(out.begin() + start, out.end()));
}

void BpeModel::mergeWord(std::string_view word, std::vector<TokenId>& out) const {
  // A doubly linked list of symbols; merged-away symbols are marked dead.
  struct Symbol {
    TokenId id;
    int prev;
    int next;
    bool alive;
  };
  struct Candidate {
    std::int32_t rank;
    int pos;  // the left symbol
    TokenId left;
    TokenId right;
    bool operator>(const Candidate& o) const {
      return rank != o.rank ? rank > o.rank : pos > o.pos;
    }
  };
  const int n = static_cast<int>(word.size());
  if (n == 0) return;
  std::vector<Symbol> symbols(word.size());
  for (int i = 0; i < n; ++i)
    symbols[i] = {byteTokens_[static_cast<unsigned char>(word[i])], i - 1, i + 1 < n ? i + 1 : -1,
                  true};
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> queue;
  auto consider = [&](int pos) {
    if (pos < 0 || symbols[pos].next < 0) return;
    const Symbol& a = symbols[pos];
    const Symbol& b = symbols[a.next];
    auto it = merges_.find(pairKey(a.id, b.id));
    if (it != merges_.end()) queue.push({it->second.rank, pos, a.id, b.id});
  };
  for (int i = 0; i + 1 < n; ++i) consider(i);
  while (!queue.empty()) {
    const Candidate top = queue.top();
    queue.pop();
    Symbol& a = symbols[top.pos];
    // Skip candidates that earlier merges made stale.
    if (!a.alive || a.next < 0 || a.id != top.left || symbols[a.next].id != top.right) continue;
    Symbol& b = symbols[a.next];
    a.id = merges_.find(pairKey(top.left, top.right))->second.merged;
    b.alive = false;
    a.next = b.next;
    if (b.next >= 0) symbols[b.next].prev = top.pos;
    consider(a.prev);
    consider(top.pos);
  }
  for (int i = 0; i >= 0; i = symbols[i].next) out.push_back(symbols[i].id);
}

}  // namespace flint::engine
