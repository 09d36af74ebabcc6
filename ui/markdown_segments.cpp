#include "ui/markdown_segments.h"

#include <algorithm>
#include <optional>

namespace flint::ui {

namespace {

struct Fence {
  QChar mark;        // '`' or '~'
  qsizetype length;  // three or more
  qsizetype indent;  // spaces before it (0 to 3), taken off the code's lines
  QStringView info;  // what follows the marks, trimmed
};

qsizetype leadingSpaces(QStringView line) {
  qsizetype n = 0;
  while (n < line.size() && line[n] == u' ') ++n;
  return n;
}

std::optional<Fence> openingFence(QStringView line) {
  const qsizetype indent = leadingSpaces(line);
  if (indent > 3 || indent >= line.size()) return std::nullopt;
  const QChar mark = line[indent];
  if (mark != u'`' && mark != u'~') return std::nullopt;
  qsizetype end = indent;
  while (end < line.size() && line[end] == mark) ++end;
  if (end - indent < 3) return std::nullopt;
  const QStringView info = line.mid(end).trimmed();
  // A backtick fence's info string cannot hold a backtick (that is inline code).
  if (mark == u'`' && info.contains(u'`')) return std::nullopt;
  return Fence{mark, end - indent, indent, info};
}

bool closesFence(QStringView line, const Fence& fence) {
  const qsizetype indent = leadingSpaces(line);
  if (indent > 3) return false;
  qsizetype end = indent;
  while (end < line.size() && line[end] == fence.mark) ++end;
  return end - indent >= fence.length && line.mid(end).trimmed().isEmpty();
}

// A code line without up to `indent` of the opening fence's spaces.
QStringView unindented(QStringView line, qsizetype indent) {
  return line.mid(std::min(indent, leadingSpaces(line)));
}

bool isBlank(QStringView line) {
  return line.trimmed().isEmpty();
}

// A line that, after a blank line, surely starts a paragraph of its own at the top level: not
// indented (a list item's continuation, indented code), not a list item, quote, table row or
// link definition, which may belong with what came before. Decided by its first character, so
// the answer does not change as the line streams in.
bool startsOwnParagraph(QStringView line) {
  if (line.isEmpty()) return false;
  const QChar first = line[0];
  return !first.isSpace() && !first.isDigit() && !QStringView(u"-*+>|[").contains(first);
}

// Collects the lines of the segment being read and hands each finished segment on.
class Splitter {
 public:
  void text(QStringView line) {
    if (m_lines.empty() && isBlank(line)) return;  // no leading blank lines
    if (isBlank(line)) {
      m_afterBlank = true;
    } else {
      if (m_afterBlank && m_chars >= kProseChunkChars && startsOwnParagraph(line)) endText();
      m_afterBlank = false;
    }
    m_chars += line.size() + 1;
    m_lines.push_back(line);
  }
  void code(QStringView line) { m_lines.push_back(line); }

  void endText() {
    while (!m_lines.empty() && isBlank(m_lines.back())) m_lines.pop_back();
    if (!m_lines.empty()) m_segments.push_back({MarkdownSegment::Kind::Text, joined(), {}});
    clear();
  }
  void endCode(QStringView info) {
    const qsizetype space = info.indexOf(u' ');
    const QStringView language = space < 0 ? info : info.first(space);
    m_segments.push_back({MarkdownSegment::Kind::Code, joined(), language.toString()});
    clear();
  }
  std::vector<MarkdownSegment> take() { return std::move(m_segments); }

 private:
  QString joined() const {
    QString out;
    for (std::size_t i = 0; i < m_lines.size(); ++i) {
      if (i) out += u'\n';
      out += m_lines[i];
    }
    return out;
  }

  void clear() {
    m_lines.clear();
    m_chars = 0;
    m_afterBlank = false;
  }

  std::vector<QStringView> m_lines;
  qsizetype m_chars = 0;      // in m_lines, newlines included
  bool m_afterBlank = false;  // the last text line was blank
  std::vector<MarkdownSegment> m_segments;
};

}  // namespace

std::vector<MarkdownSegment> splitMarkdown(QStringView markdown) {
  Splitter out;
  std::optional<Fence> open;
  qsizetype start = 0;
  while (start <= markdown.size()) {
    qsizetype end = markdown.indexOf(u'\n', start);
    if (end < 0) end = markdown.size();
    QStringView line = markdown.mid(start, end - start);
    if (line.endsWith(u'\r')) line.chop(1);
    // The empty "line" after a final newline is not one (a streaming block's next line).
    if (end == markdown.size() && line.isEmpty()) break;
    start = end + 1;

    if (open) {
      if (closesFence(line, *open)) {
        out.endCode(open->info);
        open.reset();
      } else {
        out.code(unindented(line, open->indent));
      }
    } else if ((open = openingFence(line))) {
      out.endText();
    } else {
      out.text(line);
    }
  }
  if (open)
    out.endCode(open->info);
  else
    out.endText();
  return out.take();
}

}  // namespace flint::ui
