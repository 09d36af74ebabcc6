#pragma once
// What identifies the bytes a document was imported from: their SHA-256, their size and the
// file's modification time. Checking a fingerprint against the file on disk tells whether the
// document changed after import; size and time answer most checks without reading the file.
#include "app/documents/import_progress.h"

#include <cstdint>
#include <filesystem>
#include <string>

namespace flint::documents {

struct FileFingerprint {
  std::string sha256;  // lowercase hex of the file's bytes
  std::uint64_t byteSize = 0;
  std::int64_t modifiedNs = 0;  // the file's last write time; 0: unknown (always hash)
};

// Reads `file` once to hash it. Throws DocumentError (NotFound, Unreadable, Cancelled).
FileFingerprint fingerprintFile(const std::filesystem::path& file,
                                const ImportProgress& progress = {});

// The file's last write time as fingerprints keep it.
std::int64_t modifiedNs(const std::filesystem::path& file);

enum class Staleness {
  Unchanged,  // the same bytes (a touched file whose bytes are the same counts as unchanged)
  Changed,    // other bytes
  Missing,    // gone, or not a regular file any more
};

// Size and time equal: unchanged without reading. Size differs: changed. Otherwise the file
// is hashed.
Staleness checkStaleness(const std::filesystem::path& file, const FileFingerprint& imported);

// Throws DocumentError Changed (or NotFound) with a sentence naming `title` unless the file
// still holds the imported bytes.
void checkUnchanged(const std::filesystem::path& file, const FileFingerprint& imported,
                    const std::string& title);

}  // namespace flint::documents
