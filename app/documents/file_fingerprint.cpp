#include "app/documents/file_fingerprint.h"

#include "app/documents/document_error.h"
#include "app/documents/sha256.h"

#include <cstring>
#include <fstream>
#include <vector>

namespace flint::documents {

namespace fs = std::filesystem;

std::int64_t modifiedNs(const fs::path& file) {
  std::error_code ec;
  const auto time = fs::last_write_time(file, ec);
  if (ec) return 0;
  return std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch()).count();
}

FileFingerprint fingerprintFile(const fs::path& file, const ImportProgress& progress) {
  const std::string title = file.filename().string();
  std::error_code ec;
  if (!fs::is_regular_file(file, ec))
    throw DocumentError(DocumentErrorKind::NotFound,
                        "“" + title + "” is no longer at " + file.string() + ".");
  FileFingerprint fingerprint;
  fingerprint.modifiedNs = modifiedNs(file);
  const std::uintmax_t size = fs::file_size(file, ec);
  std::ifstream in(file, std::ios::binary);
  if (!in)
    throw DocumentError(DocumentErrorKind::Unreadable,
                        "“" + title + "” could not be opened: " + std::strerror(errno) + ".");
  Sha256 hash;
  std::vector<char> block(1 << 20);
  while (in) {
    progress.throwIfCancelled();
    in.read(block.data(), std::streamsize(block.size()));
    const auto got = std::size_t(in.gcount());
    hash.update(std::string_view(block.data(), got));
    fingerprint.byteSize += got;
    if (size > 0) progress.report(std::min(1.0, double(fingerprint.byteSize) / double(size)));
  }
  fingerprint.sha256 = hash.finishHex();
  return fingerprint;
}

Staleness checkStaleness(const fs::path& file, const FileFingerprint& imported) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) return Staleness::Missing;
  const std::uintmax_t size = fs::file_size(file, ec);
  if (ec) return Staleness::Missing;
  if (size != imported.byteSize) return Staleness::Changed;
  if (imported.modifiedNs != 0 && modifiedNs(file) == imported.modifiedNs)
    return Staleness::Unchanged;
  try {
    return fingerprintFile(file).sha256 == imported.sha256 ? Staleness::Unchanged
                                                           : Staleness::Changed;
  } catch (const DocumentError&) {
    return Staleness::Missing;
  }
}

void checkUnchanged(const fs::path& file, const FileFingerprint& imported,
                    const std::string& title) {
  switch (checkStaleness(file, imported)) {
    case Staleness::Unchanged:
      return;
    case Staleness::Missing:
      throw DocumentError(DocumentErrorKind::NotFound,
                          "“" + title + "” is no longer at " + file.string() +
                              "; the text imported earlier is still attached.");
    case Staleness::Changed:
      throw DocumentError(DocumentErrorKind::Changed,
                          "“" + title +
                              "” changed on disk after it was imported; the answer "
                              "would use the old text, so import it again to read the "
                              "new one.");
  }
}

}  // namespace flint::documents
