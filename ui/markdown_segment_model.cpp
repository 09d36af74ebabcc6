#include "ui/markdown_segment_model.h"

#include <algorithm>

namespace flint::ui {

MarkdownSegmentModel::MarkdownSegmentModel(QObject* parent) : QAbstractListModel(parent) {}

void MarkdownSegmentModel::setMarkdown(const QString& markdown) {
  if (markdown == m_markdown) return;
  m_markdown = markdown;
  std::vector<MarkdownSegment> next = splitMarkdown(m_markdown);

  const int kept = int(std::min(next.size(), m_segments.size()));
  if (next.size() < m_segments.size()) {
    beginRemoveRows({}, kept, int(m_segments.size()) - 1);
    m_segments.resize(next.size());
    endRemoveRows();
  }
  for (int row = 0; row < kept; ++row) {
    if (next[row] == m_segments[row]) continue;
    m_segments[row] = std::move(next[row]);
    emit dataChanged(index(row), index(row));
  }
  if (next.size() > m_segments.size()) {
    beginInsertRows({}, kept, int(next.size()) - 1);
    std::move(next.begin() + kept, next.end(), std::back_inserter(m_segments));
    endInsertRows();
  }
  emit markdownChanged();
}

int MarkdownSegmentModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : int(m_segments.size());
}

QVariant MarkdownSegmentModel::data(const QModelIndex& index, int role) const {
  if (!checkIndex(index, CheckIndexOption::IndexIsValid)) return {};
  const MarkdownSegment& segment = m_segments[std::size_t(index.row())];
  switch (role) {
    case KindRole:
      return segment.kind == MarkdownSegment::Kind::Code ? QStringLiteral("code")
                                                         : QStringLiteral("text");
    case TextRole:
      return segment.text;
    case LanguageRole:
      return segment.language;
    default:
      return {};
  }
}

QHash<int, QByteArray> MarkdownSegmentModel::roleNames() const {
  return {{KindRole, "kind"}, {TextRole, "text"}, {LanguageRole, "language"}};
}

}  // namespace flint::ui
