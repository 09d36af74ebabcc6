#pragma once
// What the file and folder pickers hand over, as the paths the models take: the dialogs speak
// file:// URLs (percent-encoded, maybe with a trailing slash), the models local paths. And
// the other way: the folder a picker opens at.
#include <QString>
#include <QUrl>

namespace flint::ui {

// A local path, or why the URL is not one (a sentence); exactly one of the two is set.
struct LocalPath {
  QString path;
  QString error;
};

// file:///a%20b/ -> "/a b". Anything that is not a local file (http://, an empty URL) is
// refused in words, for the panel to show.
LocalPath localPathFromUrl(const QUrl& url);

// The folder as a file:// URL when it exists; else the user's home folder.
QUrl folderUrlOrHome(const QString& folder);

}  // namespace flint::ui
