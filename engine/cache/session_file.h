#pragma once
// A session's state on disk (Session::save / Session::load). A 48-byte header: magic, format
// version, numerics, the model's fingerprint (model_fingerprint.h), the number of cached ids,
// the payload's size and its checksum; then the payload: the cached ids, every layer's cache
// and the drafter's context when the model has a drafter. Written to a temporary file and
// renamed over the target, so the name never shows half a file. Reading checks everything
// before it returns: a file that is truncated, corrupt, from another model, numerics or format
// version, or whose shapes do not fit, is one SessionFileError, never a half-loaded session.
#include "engine/cache/session_cache.h"
#include "engine/model/numerics.h"
#include "engine/spec/speculator.h"
#include "engine/tokenizer/token_id.h"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <stdexcept>
#include <vector>

namespace flint::engine {

struct SessionFileError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// What a saved state is only valid for.
struct SessionFileIdentity {
  std::uint64_t model = 0;  // modelFingerprint()
  Numerics numerics = Numerics::Official;
};

inline constexpr std::uint32_t kSessionFileVersion = 1;

struct SessionState {
  std::vector<TokenId> ids;  // what the cache holds, in order
  SessionCache cache;
  std::optional<Speculator::State> drafter;
};

// Throws SessionFileError when the file cannot be written (the target is then untouched).
void writeSessionFile(const std::filesystem::path& path, const SessionFileIdentity& identity,
                      std::span<const TokenId> ids, const SessionCache& cache,
                      const Speculator::State* drafter);

// `shape` is a fresh cache of the model (Transformer::newCache()): the layers, widths and ratios
// the file must have. `drafter`: whether the model has one (the file must then hold its state).
SessionState readSessionFile(const std::filesystem::path& path, const SessionFileIdentity& identity,
                             const SessionCache& shape, bool drafter);

}  // namespace flint::engine
