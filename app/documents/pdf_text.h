#pragma once
// The text layer of a PDF, page by page, through poppler-cpp. A PDF that needs a password,
// one without any text (scanned pages) and one poppler cannot parse each get their own
// DocumentError, worded with the file's name.
#include "app/documents/import_progress.h"

#include <string>
#include <string_view>

namespace flint::documents {

struct PdfText {
  std::string text;  // the pages' text, separated by blank lines
  int pages = 0;
};

PdfText pdfToText(std::string_view bytes, const std::string& name, const ImportProgress& progress);

}  // namespace flint::documents
