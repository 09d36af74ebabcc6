#pragma once
// The kinds of file "Attach…" offers, as the file picker's name filters: every format the
// document importer reads (its own extension lists), each kind on its own, and all files (the
// importer reads any file that holds text).
#include <QtQml/qqmlregistration.h>
#include <QObject>
#include <QStringList>

namespace flint::ui {

class DocumentFileTypes : public QObject {
  Q_OBJECT
  QML_ELEMENT
  QML_SINGLETON
  // "Documents (*.txt *.md …)" first, then one filter per format, then "All files (*)".
  Q_PROPERTY(QStringList nameFilters READ nameFilters CONSTANT)

 public:
  explicit DocumentFileTypes(QObject* parent = nullptr) : QObject(parent) {}

  QStringList nameFilters() const;
};

}  // namespace flint::ui
