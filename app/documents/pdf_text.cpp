#include "app/documents/pdf_text.h"

#include "app/documents/document_error.h"
#include "app/documents/text_sniff.h"
#include "engine/logging/log.h"

#include <poppler-document.h>
#include <poppler-global.h>
#include <poppler-page.h>

#include <memory>
#include <mutex>

namespace flint::documents {
namespace {

// Poppler prints its complaints about damaged files on stderr; they belong in the log.
void logPopplerMessage(const std::string& message, void*) {
  flint::log::logger("documents")->debug("poppler: {}", message);
}

bool isBlank(std::string_view text) {
  return text.find_first_not_of(" \t\r\n\f\v") == std::string_view::npos;
}

std::string_view trimmed(std::string_view text) {
  const std::size_t first = text.find_first_not_of(" \t\r\n\f\v");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t\r\n\f\v") + 1 - first);
}

}  // namespace

PdfText pdfToText(std::string_view bytes, const std::string& name, const ImportProgress& progress) {
  static std::once_flag routed;
  std::call_once(routed, [] { poppler::set_debug_error_function(&logPopplerMessage, nullptr); });

  const std::unique_ptr<poppler::document> pdf(
      poppler::document::load_from_raw_data(bytes.data(), int(bytes.size())));
  if (!pdf)
    throw DocumentError(
        DocumentErrorKind::Damaged,
        "“" + name + "” could not be read as a PDF: the file is damaged or not a PDF.");
  if (pdf->is_locked())
    throw DocumentError(DocumentErrorKind::Encrypted,
                        "“" + name +
                            "” is an encrypted PDF that needs a password to open; "
                            "remove the password (or print it to a new PDF) and attach it "
                            "again.");
  PdfText result;
  result.pages = pdf->pages();
  for (int i = 0; i < result.pages; ++i) {
    progress.throwIfCancelled();
    const std::unique_ptr<poppler::page> page(pdf->create_page(i));
    if (page) {
      const poppler::byte_array utf8 = page->text().to_utf8();
      const std::string_view text = trimmed(std::string_view(utf8.data(), utf8.size()));
      if (!text.empty()) {
        if (!result.text.empty()) result.text += "\n\n";
        result.text += repairUtf8(text).text;
      }
    }
    progress.report(double(i + 1) / result.pages);
  }
  if (isBlank(result.text))
    throw DocumentError(DocumentErrorKind::NoTextLayer,
                        "“" + name + "” has no text layer (its " + std::to_string(result.pages) +
                            " page(s) are images, probably scans); Flint reads the text of PDFs "
                            "and does not recognise text in images.");
  return result;
}

}  // namespace flint::documents
