#pragma once
// Saved session states of prompt prefixes (the documents at the start of a conversation), so a
// follow-up question, or a new conversation over the same documents, resumes instead of
// prefilling them again. One folder of Session::save files with a size limit; the least
// recently used files go first, by their modification time (touched on every hit), so the
// order survives restarts.
//
// The key is a hash of the model's fingerprint, the numerics, the session format version and
// the prefix's exact token ids; the file name holds the key and the prefix's length. Why the
// ids rather than (document hashes, mode, prompt layout): a saved state is a function of
// exactly the weights, the numerics and the ids, nothing else. Any change that alters the
// prefix (a document's bytes, a title, the order, the thinking mode's preamble, the layout,
// the tokenizer) alters the ids, so it can never hit a stale state; anything that leaves the
// ids alone leaves the state alone, so such prompts share it. A key built from metadata would
// trust a stale state the day someone changes the layout and forgets its version. The loaded
// file's ids are compared with the prefix as well, so not even a hash collision is trusted.
//
// Lookup takes the whole prompt and restores the longest saved prefix of it, so the caller
// needs no boundary to look up; it chooses one only when it stores (Session::prefill of the
// documents' part, then store()). Not thread-safe: one engine thread uses it.
#include "engine/engine.h"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>

namespace flint::documents {

class PrefixCache {
 public:
  static constexpr std::string_view kExtension = ".flintsession";

  // Creates `folder` when missing and removes temporary files a crash left there. Throws
  // std::filesystem::filesystem_error when the folder cannot be created.
  PrefixCache(std::filesystem::path folder, std::uint64_t byteLimit, const engine::Engine& engine);

  // Restores `session` to the longest saved prefix of `promptIds` that is shorter than the
  // prompt (generate() needs at least one new token). Returns its length, or nothing on a miss.
  // A file that does not load (truncated, corrupt, another model or format) is deleted and
  // skipped, leaving the session as it was; one that loads other ids (a hash collision) is
  // deleted too and the session reset.
  // Only prefixes longer than `beyond` are tried: what the session already holds of the prompt
  // is worth keeping.
  std::optional<std::size_t> restore(engine::Session& session,
                                     std::span<const engine::TokenId> promptIds,
                                     std::size_t beyond = 0);

  // Saves the session's state under its cached ids, then evicts the least recently used files
  // beyond the limit (the new one too, when it alone exceeds it). Throws
  // engine::SessionFileError when the file cannot be written.
  void store(const engine::Session& session);

  // The file a prefix is saved under (whether or not it exists).
  std::filesystem::path pathFor(std::span<const engine::TokenId> prefixIds) const;

  std::uint64_t bytes() const;  // what the saved files take now
  std::size_t files() const;
  const std::filesystem::path& folder() const { return folder_; }

 private:
  void evict() const;

  std::filesystem::path folder_;
  std::uint64_t byteLimit_;
  std::uint64_t identity_;  // fingerprint, numerics and format version, hashed
};

}  // namespace flint::documents
