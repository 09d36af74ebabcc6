#pragma once
// One message's Markdown as a list of prose and code segments (splitMarkdown), for the chat
// view to draw each code block with its own Copy button. Setting new Markdown changes only
// the rows that differ: while a reply streams only the last segment changes (or a new one is
// appended), so the segments above it are neither rebuilt nor laid out again.
#include "ui/markdown_segments.h"

#include <QtQml/qqmlregistration.h>
#include <QAbstractListModel>
#include <QString>

#include <vector>

namespace flint::ui {

class MarkdownSegmentModel : public QAbstractListModel {
  Q_OBJECT
  QML_ELEMENT
  Q_PROPERTY(QString markdown READ markdown WRITE setMarkdown NOTIFY markdownChanged)

 public:
  enum Role {
    KindRole = Qt::UserRole + 1,  // "text" or "code"
    TextRole,
    LanguageRole,
  };
  Q_ENUM(Role)

  explicit MarkdownSegmentModel(QObject* parent = nullptr);

  QString markdown() const { return m_markdown; }
  void setMarkdown(const QString& markdown);

  int rowCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role) const override;
  QHash<int, QByteArray> roleNames() const override;

 signals:
  void markdownChanged();

 private:
  QString m_markdown;
  std::vector<MarkdownSegment> m_segments;
};

}  // namespace flint::ui
