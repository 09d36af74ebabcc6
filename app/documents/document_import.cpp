#include "app/documents/document_import.h"

#include "app/documents/document_error.h"
#include "app/documents/html_text.h"
#include "app/documents/pdf_text.h"
#include "app/documents/sha256.h"
#include "app/documents/text_sniff.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <vector>

namespace flint::documents {
namespace {

namespace fs = std::filesystem;

constexpr std::array<std::string_view, 1> kPdf = {".pdf"};
constexpr std::array<std::string_view, 4> kMarkdown = {".md", ".markdown", ".mdown", ".mkd"};
constexpr std::array<std::string_view, 3> kHtml = {".html", ".htm", ".xhtml"};
constexpr std::array<std::string_view, 44> kSource = {
    ".c",    ".h",     ".cc",    ".cpp", ".cxx",  ".hpp",   ".hh",  ".cu",   ".cuh",
    ".py",   ".js",    ".mjs",   ".ts",  ".tsx",  ".jsx",   ".rs",  ".go",   ".java",
    ".kt",   ".swift", ".rb",    ".php", ".cs",   ".scala", ".lua", ".pl",   ".sh",
    ".bash", ".zsh",   ".cmake", ".qml", ".json", ".yaml",  ".yml", ".toml", ".ini",
    ".xml",  ".css",   ".scss",  ".sql", ".r",    ".m",     ".hs",  ".proto"};
constexpr std::string_view kReadable =
    "Flint reads plain text, Markdown, HTML, PDF and source code";
constexpr std::size_t kReadBlock = 1 << 20;

std::string named(const std::string& title) {
  return "“" + title + "”";
}

std::string lowerExtension(const fs::path& file) {
  std::string ext = file.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return char(std::tolower(c)); });
  return ext;
}

bool hasExtension(const auto& list, const std::string& ext) {
  return std::find(list.begin(), list.end(), ext) != list.end();
}

// The file's bytes, hashed as they are read: reading 0-50 % of the progress.
std::string readHashed(const fs::path& file, const std::string& title, std::uint64_t size,
                       std::uint64_t maxBytes, const ImportProgress& progress,
                       FileFingerprint& fingerprint) {
  std::ifstream in(file, std::ios::binary);
  if (!in)
    throw DocumentError(DocumentErrorKind::Unreadable,
                        named(title) + " could not be opened: " + std::strerror(errno) + ".");
  std::string bytes;
  bytes.reserve(std::size_t(size));
  Sha256 hash;
  std::vector<char> block(kReadBlock);
  while (in) {
    progress.throwIfCancelled();
    in.read(block.data(), std::streamsize(block.size()));
    const std::string_view got(block.data(), std::size_t(in.gcount()));
    // The file grew after its size was checked: still refuse what is over the limit.
    if (bytes.size() + got.size() > maxBytes)
      throw DocumentError(DocumentErrorKind::TooLarge,
                          named(title) + " grew past " + describeBytes(maxBytes) +
                              " while it was read; Flint imports documents up to that size.");
    bytes += got;
    hash.update(got);
    if (size > 0) progress.report(0.5 * std::min(1.0, double(bytes.size()) / double(size)));
  }
  if (in.bad())
    throw DocumentError(
        DocumentErrorKind::Unreadable,
        named(title) + " could not be read to the end: " + std::strerror(errno) + ".");
  fingerprint.sha256 = hash.finishHex();
  fingerprint.byteSize = bytes.size();
  return bytes;
}

// Text formats: refuse what is not text, repair what is not quite UTF-8.
std::string decodeText(std::string_view bytes, const std::string& title,
                       std::vector<std::string>& notices) {
  if (const auto reason = binaryReason(bytes))
    throw DocumentError(
        DocumentErrorKind::Binary,
        named(title) + " does not hold text: " + *reason + ". " + std::string(kReadable) + ".");
  if (const auto reason = otherEncodingReason(bytes))
    throw DocumentError(DocumentErrorKind::NotUtf8, named(title) + " is not UTF-8: " + *reason +
                                                        ". Save it as UTF-8 and attach it again.");
  Utf8Repair repair = repairUtf8(bytes);
  if (repair.replacedBytes > 0)
    notices.push_back(named(title) + " had " + std::to_string(repair.replacedBytes) +
                      " byte(s) that are not UTF-8 (the first at byte " +
                      std::to_string(repair.firstBadOffset) +
                      "); each was replaced with the character U+FFFD.");
  return std::move(repair.text);
}

bool isBlank(std::string_view text) {
  return text.find_first_not_of(" \t\r\n\f\v") == std::string_view::npos;
}

}  // namespace

std::string_view mimeType(DocumentFormat format) {
  switch (format) {
    case DocumentFormat::PlainText:
      return "text/plain";
    case DocumentFormat::Markdown:
      return "text/markdown";
    case DocumentFormat::Html:
      return "text/html";
    case DocumentFormat::Pdf:
      return "application/pdf";
    case DocumentFormat::SourceCode:
      return "text/x-source";
  }
  return "text/plain";
}

DocumentFormat formatFromPath(const fs::path& file) {
  const std::string ext = lowerExtension(file);
  if (hasExtension(kPdf, ext)) return DocumentFormat::Pdf;
  if (hasExtension(kMarkdown, ext)) return DocumentFormat::Markdown;
  if (hasExtension(kHtml, ext)) return DocumentFormat::Html;
  if (hasExtension(kSource, ext)) return DocumentFormat::SourceCode;
  const std::string name = file.filename().string();
  if (name == "CMakeLists.txt" || name == "Makefile" || name == "Dockerfile")
    return DocumentFormat::SourceCode;
  return DocumentFormat::PlainText;
}

std::span<const std::string_view> extensionsOf(DocumentFormat format) {
  switch (format) {
    case DocumentFormat::PlainText:
      return {};
    case DocumentFormat::Markdown:
      return kMarkdown;
    case DocumentFormat::Html:
      return kHtml;
    case DocumentFormat::Pdf:
      return kPdf;
    case DocumentFormat::SourceCode:
      return kSource;
  }
  return {};
}

std::string describeBytes(std::uint64_t bytes) {
  char text[32];
  if (bytes >= (1ull << 30) && bytes % (1ull << 30) == 0)
    std::snprintf(text, sizeof text, "%llu GiB", static_cast<unsigned long long>(bytes >> 30));
  else if (bytes >= (1ull << 20) && bytes % (1ull << 20) == 0)
    std::snprintf(text, sizeof text, "%llu MiB", static_cast<unsigned long long>(bytes >> 20));
  else if (bytes >= 1000000)
    std::snprintf(text, sizeof text, "%.1f MB", double(bytes) / 1e6);
  else
    std::snprintf(text, sizeof text, "%llu bytes", static_cast<unsigned long long>(bytes));
  return text;
}

ImportedDocument importDocument(const fs::path& file, const ImportOptions& options) {
  ImportedDocument doc;
  doc.title = file.filename().string();
  doc.path = file;
  std::error_code ec;
  const fs::file_status status = fs::status(file, ec);
  if (!fs::exists(status))
    throw DocumentError(DocumentErrorKind::NotFound,
                        named(doc.title) + " was not found at " + file.string() + ".");
  if (!fs::is_regular_file(status))
    throw DocumentError(DocumentErrorKind::NotFound,
                        named(doc.title) + " is not a file (it is a folder or a device).");
  const std::uint64_t size = fs::file_size(file, ec);
  if (ec)
    throw DocumentError(DocumentErrorKind::Unreadable,
                        named(doc.title) + " could not be read: " + ec.message() + ".");
  if (size > options.maxBytes)
    throw DocumentError(DocumentErrorKind::TooLarge,
                        named(doc.title) + " is " + describeBytes(size) +
                            "; Flint imports documents up to " + describeBytes(options.maxBytes) +
                            ". Split it into smaller files to attach it.");
  doc.fingerprint.modifiedNs = modifiedNs(file);
  const std::string bytes =
      readHashed(file, doc.title, size, options.maxBytes, options.progress, doc.fingerprint);
  if (isBlank(bytes))
    throw DocumentError(DocumentErrorKind::Empty,
                        named(doc.title) + " is empty: there is no text to read.");

  doc.format =
      std::string_view(bytes).starts_with("%PDF-") ? DocumentFormat::Pdf : formatFromPath(file);
  if (doc.format == DocumentFormat::Pdf) {
    ImportProgress pages;  // extraction: 50-100 %
    pages.cancel = options.progress.cancel;
    pages.onProgress = [&](double f) { options.progress.report(0.5 + 0.5 * f); };
    PdfText pdf = pdfToText(bytes, doc.title, pages);
    doc.text = std::move(pdf.text);
    doc.pages = pdf.pages;
  } else {
    doc.text = decodeText(bytes, doc.title, doc.notices);
    if (doc.format == DocumentFormat::Html) doc.text = htmlToText(doc.text);
    if (isBlank(doc.text))
      throw DocumentError(DocumentErrorKind::Empty,
                          named(doc.title) + " has no readable text once its markup is removed.");
  }
  options.progress.report(1.0);
  return doc;
}

}  // namespace flint::documents
