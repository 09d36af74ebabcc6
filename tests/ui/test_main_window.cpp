// Opens the real main window offscreen, checks that every named part is there, visible and
// inside the window, and that each part actually painted something in a screenshot.
#include "tests/ui/window_probe.h"

#include <QDir>
#include <QGuiApplication>
#include <QImage>
#include <QQmlApplicationEngine>
#include <QQuickItem>
#include <QQuickStyle>
#include <QQuickWindow>
#include <QSet>
#include <QtQml/QQmlExtensionPlugin>
#include <QtTest>

Q_IMPORT_QML_PLUGIN(FlintPlugin)

class MainWindowTest : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() {
    window_ = flint::ui::testing::openMainWindow(engine_);
    QVERIFY(window_);
  }

  void namedParts_data() {
    QTest::addColumn<QString>("name");
    for (const char* n : {"sidebar", "newChatButton", "searchField", "conversationList",
                          "chatHeader", "modelName", "modeSelector", "chatArea", "composer",
                          "inputBox", "sendButton", "statsStrip", "backendLabel"})
      QTest::newRow(n) << QString::fromLatin1(n);
  }

  void namedParts() {
    QFETCH(QString, name);
    auto* item = window_->findChild<QQuickItem*>(name);
    QVERIFY2(item, qPrintable("no item named " + name));
    QVERIFY2(item->isVisible(), qPrintable(name + " is not visible"));
    QVERIFY2(item->width() > 4 && item->height() > 4, qPrintable(name + " has no size"));
    const QRectF box = item->mapRectToScene(QRectF(0, 0, item->width(), item->height()));
    const QRectF windowBox(0, 0, window_->width(), window_->height());
    QVERIFY2(windowBox.contains(box), qPrintable(name + " lies outside the window"));
  }

  void modeSelectorOffersTheThreeModes() {
    auto* selector = window_->findChild<QQuickItem*>("modeSelector");
    QVERIFY(selector);
    QCOMPARE(selector->property("count").toInt(), 3);
    QCOMPARE(selector->property("currentText").toString(), QStringLiteral("Non-think"));
    QCOMPARE(selector->property("mode").toString(), QStringLiteral("non-think"));
  }

  void statsStripNamesTheBackend() {
    auto* label = window_->findChild<QQuickItem*>("backendLabel");
    QVERIFY(label);
    const QString text = label->property("text").toString();
    QVERIFY2(text.startsWith("CPU (") || text.startsWith("CUDA: "),
             qPrintable("backend label: " + text));
  }

  void screenshotShowsEveryPart() {
    const QImage shot = window_->grabWindow();
    QVERIFY(!shot.isNull());
    QCOMPARE(shot.size(), window_->size() * window_->devicePixelRatio());
    QDir().mkpath(FLINT_SCREENSHOT_DIR);
    const QString path = QStringLiteral(FLINT_SCREENSHOT_DIR "/main_window.png");
    QVERIFY(shot.save(path));
    // Text, borders and placeholders mean several colours in every part; a part that failed
    // to render is a flat rectangle.
    for (const char* n : {"sidebar", "chatArea", "composer", "statsStrip", "modeSelector"}) {
      auto* item = window_->findChild<QQuickItem*>(n);
      QVERIFY(item);
      const QRect box = item->mapRectToScene(QRectF(0, 0, item->width(), item->height())).toRect();
      QVERIFY2(flint::ui::testing::distinctColours(shot, box) >= 3,
               qPrintable(QString("%1 looks blank in %2").arg(n, path)));
    }
  }

 private:
  QQmlApplicationEngine engine_;
  QQuickWindow* window_ = nullptr;
};

QTEST_MAIN(MainWindowTest)
#include "test_main_window.moc"
