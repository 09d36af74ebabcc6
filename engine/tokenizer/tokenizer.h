#pragma once
// A Hugging Face tokenizer.json byte-level BPE tokenizer, as DeepSeek ships it: added tokens
// are matched first (when the caller allows it), the rest of the text is cut into pre-tokens
// by the file's pre-tokenizer and each pre-token is encoded by BPE. Const methods are safe to
// call from several threads at once.
//
//   Tokenizer tok = Tokenizer::fromModelDir(dir);
//   std::vector<TokenId> ids = tok.encode(userText, SpecialTokens::kPlainText);
//   std::string text = tok.decode(ids);
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/tokenizer/token_id.h"
#include "engine/tokenizer/tokenizer_error.h"

namespace flint::engine {

// Whether encode() turns the text of added tokens ("<｜User｜>", "</think>") into their ids.
// User-supplied text is always kPlainText, so it can never forge a control token.
enum class SpecialTokens { kMatch, kPlainText };

class Tokenizer {
 public:
  // <dir>/tokenizer.json; the error says so in one sentence when the folder has none.
  static Tokenizer fromModelDir(const std::filesystem::path& dir);
  static Tokenizer fromFile(const std::filesystem::path& path);
  // `json` is the whole text of a tokenizer.json.
  static Tokenizer fromJsonText(std::string_view json);

  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;
  ~Tokenizer();

  // `text` must be well-formed UTF-8 (TokenizerError names the first bad byte otherwise).
  std::vector<TokenId> encode(std::string_view text, SpecialTokens specials) const;
  // Appends the ids of `text` to `out`.
  void encodeInto(std::string_view text, SpecialTokens specials, std::vector<TokenId>& out) const;

  // The text of `ids`; bytes that do not form UTF-8 become U+FFFD.
  std::string decode(std::span<const TokenId> ids) const;
  // The raw bytes of one token (an added token's content for added tokens); may be part of a
  // UTF-8 sequence. Throws for ids the vocabulary does not have.
  std::string_view tokenBytes(TokenId id) const;

  // The id of an added token, looked up by its content.
  std::optional<TokenId> findAddedToken(std::string_view content) const;
  // One past the largest id (vocabulary and added tokens).
  std::size_t idLimit() const;

 private:
  struct Impl;
  explicit Tokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace flint::engine
