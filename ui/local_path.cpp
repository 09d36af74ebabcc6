#include "ui/local_path.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>

namespace flint::ui {

LocalPath localPathFromUrl(const QUrl& url) {
  if (url.isEmpty())
    return {{}, QCoreApplication::translate("LocalPath", "No file or folder was chosen.")};
  if (!url.isLocalFile())
    return {{},
            QCoreApplication::translate("LocalPath",
                                        "Flint opens files and folders on this computer only, "
                                        "not %1.")
                .arg(url.toDisplayString())};
  // cleanPath drops the trailing slash a folder URL may carry, but keeps "/" itself.
  return {QDir::cleanPath(url.toLocalFile()), {}};
}

QUrl folderUrlOrHome(const QString& folder) {
  const QString trimmed = folder.trimmed();
  if (!trimmed.isEmpty() && QFileInfo(trimmed).isDir())
    return QUrl::fromLocalFile(QDir::cleanPath(QFileInfo(trimmed).absoluteFilePath()));
  return QUrl::fromLocalFile(QDir::homePath());
}

}  // namespace flint::ui
