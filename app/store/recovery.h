#pragma once
// When open() refuses a damaged file, this salvages what still reads. The damaged file is
// moved aside byte for byte (never written), every row that reads is copied into a fresh
// database built beside it, and only then does the fresh one take the original name.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace flint::store {

struct RecoveryReport {
  std::filesystem::path damagedCopy;  // the damaged file, kept for the user or a bug report
  std::int64_t conversations = 0;     // recovered, as counted in the new database
  std::int64_t messages = 0;
  std::int64_t documents = 0;
  std::vector<std::string> problems;  // tables that could not be read whole, and why
  // One or two sentences for the user: what was recovered and where the damaged file is.
  std::string summary() const;
};

// Throws StoreError Io when the file cannot be moved aside or the new one written; the
// damaged file then stays where it was.
RecoveryReport recoverDamagedDatabase(const std::filesystem::path& file);

}  // namespace flint::store
