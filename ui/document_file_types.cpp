#include "ui/document_file_types.h"

#include "app/documents/document_import.h"

#include <utility>
#include <vector>

namespace flint::ui {

namespace {

using flint::documents::DocumentFormat;

// "*.md *.markdown" from the importer's ".md", ".markdown".
QStringList patternsOf(DocumentFormat format) {
  QStringList patterns;
  for (std::string_view ext : flint::documents::extensionsOf(format))
    patterns << QLatin1Char('*') + QString::fromUtf8(ext.data(), qsizetype(ext.size()));
  return patterns;
}

}  // namespace

QStringList DocumentFileTypes::nameFilters() const {
  // Plain text has no extensions of its own in the importer (any text file is read); these are
  // the usual names of such files.
  const std::vector<std::pair<QString, QStringList>> kinds = {
      {tr("Plain text"), {"*.txt", "*.text", "*.log"}},
      {tr("Markdown"), patternsOf(DocumentFormat::Markdown)},
      {tr("HTML"), patternsOf(DocumentFormat::Html)},
      {tr("PDF"), patternsOf(DocumentFormat::Pdf)},
      {tr("Source code"), patternsOf(DocumentFormat::SourceCode)},
  };
  QStringList all;
  for (const auto& kind : kinds) all << kind.second;
  QStringList filters{tr("Documents (%1)").arg(all.join(' '))};
  for (const auto& [name, patterns] : kinds)
    filters << QStringLiteral("%1 (%2)").arg(name, patterns.join(' '));
  filters << tr("All files (*)");
  return filters;
}

}  // namespace flint::ui
