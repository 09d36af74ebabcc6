#include "engine/tokenizer/added_tokens.h"

#include "engine/tokenizer/tokenizer_error.h"
#include "engine/tokenizer/utf8.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <limits>

namespace flint::engine {
namespace {

AddedToken readToken(const nlohmann::json& entry, std::size_t index) {
  const std::string where = "added token " + std::to_string(index);
  if (!entry.is_object() || !entry.contains("id") || !entry["id"].is_number_integer() ||
      !entry.contains("content") || !entry["content"].is_string())
    throw TokenizerError(where + " needs an integer \"id\" and a string \"content\"");
  const auto id = entry["id"].get<std::int64_t>();
  if (id < 0 || id >= std::numeric_limits<TokenId>::max())
    throw TokenizerError(where + " has the out-of-range id " + std::to_string(id));
  AddedToken token{static_cast<TokenId>(id), entry["content"].get<std::string>(),
                   entry.value("special", false)};
  if (token.content.empty() || utf8::findInvalidByte(token.content))
    throw TokenizerError(where + " has empty or invalid UTF-8 content");
  // These flags change how the text around a token is cut; DeepSeek sets none of them.
  for (const char* flag : {"lstrip", "rstrip", "single_word"})
    if (entry.value(flag, false))
      throw TokenizerError(where + " ('" + token.content + "') sets " + flag +
                           ", which Flint does not support");
  return token;
}

}  // namespace

AddedTokens AddedTokens::fromJson(const nlohmann::json& list) {
  AddedTokens result;
  result.nodes_.emplace_back();
  if (list.is_null()) return result;
  if (!list.is_array()) throw TokenizerError("\"added_tokens\" is not a list");
  for (std::size_t i = 0; i < list.size(); ++i) {
    AddedToken token = readToken(list[i], i);
    for (const AddedToken& other : result.tokens_) {
      if (other.id == token.id || other.content == token.content)
        throw TokenizerError("added tokens '" + other.content + "' and '" + token.content +
                             "' share an id or a content");
    }
    result.tokens_.push_back(std::move(token));
    result.insert(result.tokens_.size() - 1);
  }
  return result;
}

void AddedTokens::insert(std::size_t tokenIndex) {
  const std::string& content = tokens_[tokenIndex].content;
  startsToken_[static_cast<unsigned char>(content[0])] = true;
  int node = 0;
  for (char c : content) {
    const auto byte = static_cast<unsigned char>(c);
    int next = child(node, byte);
    if (next < 0) {
      next = static_cast<int>(nodes_.size());
      nodes_.emplace_back();
      auto& children = nodes_[node].children;
      children.insert(std::lower_bound(children.begin(), children.end(), std::make_pair(byte, 0)),
                      {byte, next});
    }
    node = next;
  }
  nodes_[node].token = static_cast<int>(tokenIndex);
}

int AddedTokens::child(int node, unsigned char byte) const {
  const auto& children = nodes_[node].children;
  auto it = std::lower_bound(children.begin(), children.end(), std::make_pair(byte, 0));
  return it != children.end() && it->first == byte ? it->second : -1;
}

std::optional<TokenId> AddedTokens::findId(std::string_view content) const {
  for (const AddedToken& token : tokens_)
    if (token.content == content) return token.id;
  return std::nullopt;
}

std::optional<AddedTokenMatch> AddedTokens::findNext(std::string_view text,
                                                     std::size_t from) const {
  for (std::size_t pos = from; pos < text.size(); ++pos) {
    if (!startsToken_[static_cast<unsigned char>(text[pos])]) continue;
    int node = 0;
    std::optional<AddedTokenMatch> longest;
    for (std::size_t i = pos; i < text.size(); ++i) {
      node = child(node, static_cast<unsigned char>(text[i]));
      if (node < 0) break;
      if (nodes_[node].token >= 0)
        longest = AddedTokenMatch{pos, i + 1 - pos, tokens_[nodes_[node].token].id};
    }
    if (longest) return longest;
  }
  return std::nullopt;
}

}  // namespace flint::engine
