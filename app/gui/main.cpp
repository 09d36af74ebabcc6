// flint: the GUI. It only sets up logging, the Qt application and the QML engine; all
// state lives in the view-models of ui/.
#include "app/paths.h"
#include "engine/logging/log.h"

#include <QCommandLineParser>
#include <QGuiApplication>
#include <QQmlApplicationEngine>
#include <QQuickStyle>
#include <QQuickWindow>
#include <QTimer>
#include <QtQml/QQmlExtensionPlugin>

Q_IMPORT_QML_PLUGIN(FlintPlugin)

namespace {

// Saves the first fully rendered frame of `window` to `path`, then quits: for the docs and
// for the smoke test that the real executable starts.
void screenshotAndQuit(QQuickWindow* window, const QString& path) {
  QTimer::singleShot(300, window, [window, path] {
    const bool saved = window->grabWindow().save(path);
    if (!saved)
      flint::log::logger("ui")->error("could not write the screenshot {}", path.toStdString());
    QCoreApplication::exit(saved ? 0 : 1);
  });
}

}  // namespace

int main(int argc, char* argv[]) {
  flint::log::LogOptions logOptions;
  logOptions.directory = flint::app::stateDir();
  flint::log::initLogging(logOptions);
  auto log = flint::log::logger("ui");

  QGuiApplication app(argc, argv);
  QGuiApplication::setApplicationName("Flint");
  QGuiApplication::setOrganizationName("Flint");
  QGuiApplication::setApplicationVersion(flint::app::versionString());

  QCommandLineParser parser;
  parser.setApplicationDescription("Flint: DeepSeek-V4 on this machine");
  parser.addHelpOption();
  parser.addVersionOption();
  const QCommandLineOption screenshot("screenshot", "Save the main window to FILE (PNG) and quit.",
                                      "FILE");
  parser.addOption(screenshot);
  parser.process(app);

  if (qEnvironmentVariableIsEmpty("QT_QUICK_CONTROLS_STYLE")) QQuickStyle::setStyle("Fusion");

  QQmlApplicationEngine engine;
  engine.addImportPath(QStringLiteral("qrc:/"));  // Qt 6.4 keeps modules at qrc:/<URI>
  QObject::connect(
      &engine, &QQmlApplicationEngine::objectCreationFailed, &app,
      [log] {
        log->critical("the main window could not be created; see the QML errors above");
        QCoreApplication::exit(1);
      },
      Qt::QueuedConnection);
  engine.load(QUrl(QStringLiteral("qrc:/Flint/qml/Main.qml")));
  if (engine.rootObjects().isEmpty()) return 1;
  log->info("main window open");

  if (parser.isSet(screenshot)) {
    auto* window = qobject_cast<QQuickWindow*>(engine.rootObjects().first());
    if (!window) return 1;
    screenshotAndQuit(window, parser.value(screenshot));
  }
  return app.exec();
}
