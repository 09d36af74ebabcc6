#pragma once
// What the stats strip says about the machine before any model runs: the version and the
// compute backend the engine picked (CPU with its kernel ISA, or the GPU's name).
#include <QtQml/qqmlregistration.h>
#include <QObject>
#include <QString>

namespace flint::ui {

class SystemInfo : public QObject {
  Q_OBJECT
  QML_ELEMENT
  Q_PROPERTY(QString version READ version CONSTANT)
  Q_PROPERTY(QString backend READ backend CONSTANT)

 public:
  explicit SystemInfo(QObject* parent = nullptr);

  QString version() const;
  QString backend() const { return m_backend; }

 private:
  QString m_backend;
};

}  // namespace flint::ui
