#include "app/documents/prefix_cache.h"

#include "engine/cache/hash64.h"
#include "engine/cache/session_file.h"
#include "engine/logging/log.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <vector>

namespace flint::documents {
namespace fs = std::filesystem;

namespace {

// writeSessionFile writes "<name>.tmp-<pid>-<n>" and renames it.
constexpr std::string_view kTemporaryMark = ".flintsession.tmp-";

struct SavedFile {
  fs::path path;
  std::size_t length = 0;  // of the prefix
  std::uint64_t size = 0;
  fs::file_time_type used;
};

// "<16 hex digits>-<length>.flintsession" -> length.
std::optional<std::size_t> prefixLength(const fs::path& path) {
  if (path.extension() != PrefixCache::kExtension) return std::nullopt;
  const std::string stem = path.stem().string();
  if (stem.size() < 18 || stem[16] != '-') return std::nullopt;
  std::size_t length = 0;
  const char* end = stem.data() + stem.size();
  const auto [at, error] = std::from_chars(stem.data() + 17, end, length);
  if (error != std::errc() || at != end) return std::nullopt;
  return length;
}

std::vector<SavedFile> savedFiles(const fs::path& folder) {
  std::vector<SavedFile> files;
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(folder, error)) {
    const std::optional<std::size_t> length = prefixLength(entry.path());
    if (!length || !entry.is_regular_file(error)) continue;
    SavedFile file;
    file.path = entry.path();
    file.length = *length;
    file.size = entry.file_size(error);
    file.used = entry.last_write_time(error);
    if (!error) files.push_back(std::move(file));
  }
  return files;
}

void removeFile(const fs::path& path) {
  std::error_code ignored;
  fs::remove(path, ignored);
}

}  // namespace

PrefixCache::PrefixCache(fs::path folder, std::uint64_t byteLimit, const engine::Engine& engine)
    : folder_(std::move(folder)), byteLimit_(byteLimit) {
  fs::create_directories(folder_);
  engine::Hash64 hash;
  hash.addValue(engine.modelFingerprint());
  hash.addValue(std::uint32_t(engine.numerics()));
  hash.addValue(engine::kSessionFileVersion);
  identity_ = hash.value();
  // An hour-old temporary file is a crash's leftover.
  const auto stale = fs::file_time_type::clock::now() - std::chrono::hours(1);
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(folder_, error))
    if (entry.path().filename().string().find(kTemporaryMark) != std::string::npos &&
        entry.last_write_time(error) < stale)
      removeFile(entry.path());
}

fs::path PrefixCache::pathFor(std::span<const engine::TokenId> prefixIds) const {
  engine::Hash64 hash;
  hash.addValue(identity_);
  hash.add(std::as_bytes(prefixIds));
  char name[64];
  std::snprintf(name, sizeof name, "%016llx-%zu%.*s", static_cast<unsigned long long>(hash.value()),
                prefixIds.size(), int(kExtension.size()), kExtension.data());
  return folder_ / name;
}

std::optional<std::size_t> PrefixCache::restore(engine::Session& session,
                                                std::span<const engine::TokenId> promptIds,
                                                std::size_t beyond) {
  std::vector<std::size_t> lengths;
  for (const SavedFile& file : savedFiles(folder_))
    if (file.length > beyond && file.length < promptIds.size()) lengths.push_back(file.length);
  std::sort(lengths.begin(), lengths.end(), std::greater<>());
  lengths.erase(std::unique(lengths.begin(), lengths.end()), lengths.end());

  auto log = log::logger("app");
  for (const std::size_t length : lengths) {
    const std::span<const engine::TokenId> prefix = promptIds.first(length);
    const fs::path path = pathFor(prefix);
    std::error_code error;
    if (!fs::exists(path, error)) continue;
    try {
      session.load(path);
    } catch (const engine::SessionFileError& e) {
      log->warn("prefix cache: {} It is deleted and will be rebuilt.", e.what());
      removeFile(path);
      continue;
    }
    if (!std::ranges::equal(session.cachedIds(), prefix)) {  // a hash collision
      log->warn("prefix cache: {} holds another prompt's state; it is deleted.", path.string());
      session.reset();
      removeFile(path);
      continue;
    }
    fs::last_write_time(path, fs::file_time_type::clock::now(), error);
    return length;
  }
  return std::nullopt;
}

void PrefixCache::store(const engine::Session& session) {
  const std::span<const engine::TokenId> ids = session.cachedIds();
  if (ids.empty()) return;
  const fs::path path = pathFor(ids);
  session.save(path);
  std::error_code error;
  fs::last_write_time(path, fs::file_time_type::clock::now(), error);
  evict();
}

void PrefixCache::evict() const {
  std::vector<SavedFile> files = savedFiles(folder_);
  std::sort(files.begin(), files.end(), [](const SavedFile& a, const SavedFile& b) {
    return a.used != b.used ? a.used < b.used : a.path < b.path;
  });
  std::uint64_t total = 0;
  for (const SavedFile& file : files) total += file.size;
  for (const SavedFile& file : files) {
    if (total <= byteLimit_) break;
    removeFile(file.path);
    total -= file.size;
  }
}

std::uint64_t PrefixCache::bytes() const {
  std::uint64_t total = 0;
  for (const SavedFile& file : savedFiles(folder_)) total += file.size;
  return total;
}

std::size_t PrefixCache::files() const {
  return savedFiles(folder_).size();
}

}  // namespace flint::documents
