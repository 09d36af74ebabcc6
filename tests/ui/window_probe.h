#pragma once
// What the window tests share: opening Main.qml as the app does, and checking that an area of
// a screenshot has content (a blank area has one colour).
#include <QImage>
#include <QQmlApplicationEngine>
#include <QQuickStyle>
#include <QQuickWindow>
#include <QSet>
#include <QtTest>

namespace flint::ui::testing {

inline int distinctColours(const QImage& image, const QRect& area) {
  QSet<QRgb> colours;
  const QRect r = area.intersected(image.rect());
  for (int y = r.top(); y <= r.bottom(); y += 2)
    for (int x = r.left(); x <= r.right(); x += 2) colours.insert(image.pixel(x, y));
  return int(colours.size());
}

// Loads the main window into `engine` and waits until it is exposed; null (with a test
// failure recorded) when it does not load.
inline QQuickWindow* openMainWindow(QQmlApplicationEngine& engine) {
  QQuickStyle::setStyle("Fusion");
  engine.addImportPath(QStringLiteral("qrc:/"));
  engine.load(QUrl(QStringLiteral("qrc:/Flint/qml/Main.qml")));
  if (engine.rootObjects().isEmpty()) {
    QTest::qFail("Main.qml did not load", __FILE__, __LINE__);
    return nullptr;
  }
  auto* window = qobject_cast<QQuickWindow*>(engine.rootObjects().first());
  if (!window || !QTest::qWaitForWindowExposed(window)) {
    QTest::qFail("the main window did not show", __FILE__, __LINE__);
    return nullptr;
  }
  return window;
}

}  // namespace flint::ui::testing
