#include "engine/tokenizer/tokenizer.h"

#include "engine/tokenizer/added_tokens.h"
#include "engine/tokenizer/bpe_model.h"
#include "engine/tokenizer/pre_tokenizer.h"
#include "engine/tokenizer/utf8.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace flint::engine {

struct Tokenizer::Impl {
  BpeModel bpe;
  AddedTokens added;
  PreTokenizer preTokenizer;
  std::vector<std::string_view> idBytes;  // by id; views into bpe or added
  std::vector<std::uint8_t> idKnown;      // by id

  void encodePlain(std::string_view text, std::vector<TokenId>& out) const {
    thread_local std::vector<std::string_view> pieces;
    pieces.clear();
    preTokenizer.split(text, pieces);
    for (std::string_view piece : pieces) bpe.encodeWord(piece, out);
  }

  void indexIds();
};

namespace {

void checkNormalizer(const nlohmann::json& normalizer) {
  const bool none = normalizer.is_null() ||
                    (normalizer.is_object() && normalizer.value("type", "") == "Sequence" &&
                     normalizer.value("normalizers", nlohmann::json::array()).empty());
  if (!none) throw TokenizerError("the normalizer is not empty, which Flint does not support");
}

void checkDecoder(const nlohmann::json& decoder) {
  if (!decoder.is_null() && (!decoder.is_object() || decoder.value("type", "") != "ByteLevel"))
    throw TokenizerError("the decoder is not ByteLevel, which Flint does not support");
}

}  // namespace

// Gives every id its bytes: the vocabulary's, overridden by added tokens' contents.
void Tokenizer::Impl::indexIds() {
  Impl& impl = *this;
  std::size_t limit = impl.bpe.idLimit();
  for (const AddedToken& t : impl.added.tokens())
    limit = std::max(limit, static_cast<std::size_t>(t.id) + 1);
  impl.idBytes.assign(limit, {});
  impl.idKnown.assign(limit, 0);
  for (std::size_t id = 0; id < impl.bpe.idLimit(); ++id) {
    if (const std::string* bytes = impl.bpe.tokenBytes(static_cast<TokenId>(id))) {
      impl.idBytes[id] = *bytes;
      impl.idKnown[id] = 1;
    }
  }
  for (const AddedToken& t : impl.added.tokens()) {
    const std::optional<TokenId> vocabId = impl.bpe.findToken(t.content);
    if (vocabId && *vocabId != t.id)
      throw TokenizerError("the added token '" + t.content + "' has id " + std::to_string(t.id) +
                           " but the vocabulary gives it " + std::to_string(*vocabId));
    if (!vocabId && impl.idKnown[t.id])
      throw TokenizerError("the added token '" + t.content + "' reuses the vocabulary's id " +
                           std::to_string(t.id));
    impl.idBytes[t.id] = t.content;
    impl.idKnown[t.id] = 1;
  }
}

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::~Tokenizer() = default;

Tokenizer Tokenizer::fromModelDir(const std::filesystem::path& dir) {
  const std::filesystem::path path = dir / "tokenizer.json";
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw TokenizerError("the model folder " + dir.string() + " has no tokenizer.json");
  return fromFile(path);
}

Tokenizer Tokenizer::fromFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  if (!in || !(text << in.rdbuf())) throw TokenizerError("cannot read " + path.string());
  try {
    return fromJsonText(text.str());
  } catch (const TokenizerError& e) {
    throw TokenizerError(path.string() + ": " + e.what());
  }
}

Tokenizer Tokenizer::fromJsonText(std::string_view json) {
  nlohmann::json root;
  try {
    root = nlohmann::json::parse(json);
  } catch (const nlohmann::json::exception& e) {
    throw TokenizerError(std::string("not valid JSON (") + e.what() + ")");
  }
  if (!root.is_object()) throw TokenizerError("the top level is not a JSON object");
  try {
    checkNormalizer(root.value("normalizer", nlohmann::json()));
    checkDecoder(root.value("decoder", nlohmann::json()));
    auto impl = std::make_unique<Impl>(
        Impl{BpeModel::fromJson(root.value("model", nlohmann::json())),
             AddedTokens::fromJson(root.value("added_tokens", nlohmann::json())),
             PreTokenizer::fromJson(root.value("pre_tokenizer", nlohmann::json())),
             {},
             {}});
    impl->indexIds();
    return Tokenizer(std::move(impl));
  } catch (const nlohmann::json::exception& e) {
    // A value of the wrong JSON type somewhere the checks above did not look.
    throw TokenizerError(std::string("unexpected content (") + e.what() + ")");
  }
}

std::vector<TokenId> Tokenizer::encode(std::string_view text, SpecialTokens specials) const {
  std::vector<TokenId> ids;
  ids.reserve(text.size() / 3 + 1);
  encodeInto(text, specials, ids);
  return ids;
}

void Tokenizer::encodeInto(std::string_view text, SpecialTokens specials,
                           std::vector<TokenId>& out) const {
  if (auto bad = utf8::findInvalidByte(text))
    throw TokenizerError("the text is not valid UTF-8 (bad byte at offset " + std::to_string(*bad) +
                         ")");
  if (specials == SpecialTokens::kPlainText) {
    impl_->encodePlain(text, out);
    return;
  }
  std::size_t pos = 0;
  while (auto match = impl_->added.findNext(text, pos)) {
    impl_->encodePlain(text.substr(pos, match->pos - pos), out);
    out.push_back(match->id);
    pos = match->pos + match->length;
  }
  impl_->encodePlain(text.substr(pos), out);
}

std::string_view Tokenizer::tokenBytes(TokenId id) const {
  if (id < 0 || static_cast<std::size_t>(id) >= impl_->idKnown.size() || !impl_->idKnown[id])
    throw TokenizerError("the token id " + std::to_string(id) + " is not in the vocabulary");
  return impl_->idBytes[id];
}

std::string Tokenizer::decode(std::span<const TokenId> ids) const {
  std::string bytes;
  for (TokenId id : ids) bytes.append(tokenBytes(id));
  return utf8::replaceInvalid(bytes);
}

std::optional<TokenId> Tokenizer::findAddedToken(std::string_view content) const {
  return impl_->added.findId(content);
}

std::size_t Tokenizer::idLimit() const {
  return impl_->idKnown.size();
}

}  // namespace flint::engine
