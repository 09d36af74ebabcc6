#include "ui/system_info.h"

#include "app/paths.h"
#include "engine/backend/compute_backend.h"

namespace flint::ui {
namespace {

// The probe dlopens the CUDA module once; every SystemInfo shares its answer.
const QString& backendDescription() {
  static const QString description =
      QString::fromStdString(engine::chooseComputeBackend().description);
  return description;
}

}  // namespace

SystemInfo::SystemInfo(QObject* parent) : QObject(parent), m_backend(backendDescription()) {}

QString SystemInfo::version() const {
  return QString::fromLatin1(app::versionString());
}

}  // namespace flint::ui
