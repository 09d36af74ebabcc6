#pragma once
// Why a document could not be read, as a kind the UI can act on and a sentence it can show.
#include <stdexcept>
#include <string>

namespace flint::documents {

enum class DocumentErrorKind {
  NotFound,     // no such file, or not a regular file
  Unreadable,   // the system refused to open or read it
  TooLarge,     // over the size limit (refused from its size, before reading)
  Binary,       // not text: NUL bytes or many control characters
  NotUtf8,      // text in another encoding (UTF-16, or mostly bytes that are not UTF-8)
  Empty,        // nothing to read once extracted
  Encrypted,    // a PDF that needs a password
  NoTextLayer,  // a PDF of images only (a scan)
  Damaged,      // a PDF that cannot be parsed
  Changed,      // the file on disk is not the one that was imported
  Cancelled,    // the caller's cancel flag was set
};

class DocumentError : public std::runtime_error {
 public:
  DocumentError(DocumentErrorKind kind, const std::string& message)
      : std::runtime_error(message), kind_(kind) {}
  DocumentErrorKind kind() const { return kind_; }

 private:
  DocumentErrorKind kind_;
};

}  // namespace flint::documents
