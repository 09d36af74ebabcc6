#pragma once
// Reading a file the user attaches into UTF-8 text: plain text, Markdown and source code as
// they are, HTML as its readable text, PDF through its text layer. Every file that cannot be
// read ends in a DocumentError whose message is one sentence naming the file; nothing is
// half-imported. The file's fingerprint is taken from the same bytes the text came from.
//
//   ImportedDocument doc = importDocument("notes.md", {});
//   ... later: checkUnchanged(doc.path, doc.fingerprint, doc.title);
#include "app/documents/file_fingerprint.h"
#include "app/documents/import_progress.h"

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace flint::documents {

enum class DocumentFormat { PlainText, Markdown, Html, Pdf, SourceCode };

// "text/plain", "text/markdown", "text/html", "application/pdf", "text/x-source".
std::string_view mimeType(DocumentFormat format);
// By the file's extension; files without a known one are read as plain text when they are.
DocumentFormat formatFromPath(const std::filesystem::path& file);
// The extensions (".md", lowercase, with the dot) formatFromPath knows for a format, for file
// pickers' filters. PlainText has none: any file that holds text is read as plain text.
std::span<const std::string_view> extensionsOf(DocumentFormat format);

struct ImportOptions {
  // Larger files are refused from their size, before any byte is read.
  std::uint64_t maxBytes = 64ull << 20;
  ImportProgress progress;
};

struct ImportedDocument {
  std::string title;           // the file's name
  std::filesystem::path path;  // as given
  DocumentFormat format = DocumentFormat::PlainText;
  std::string text;             // valid UTF-8
  FileFingerprint fingerprint;  // of the file's bytes
  int pages = 0;                // PDF only
  // What the import changed that the user should know, as sentences (bytes that were not
  // UTF-8 replaced by U+FFFD). Empty when the text is the file's as it is.
  std::vector<std::string> notices;
};

// Throws DocumentError: NotFound, Unreadable, TooLarge, Binary, NotUtf8, Empty, Encrypted,
// NoTextLayer, Damaged, Cancelled.
ImportedDocument importDocument(const std::filesystem::path& file,
                                const ImportOptions& options = {});

// "500 MB", "64 MiB" style sizes for messages.
std::string describeBytes(std::uint64_t bytes);

}  // namespace flint::documents
