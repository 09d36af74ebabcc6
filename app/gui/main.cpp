// flint: the GUI. It only sets up logging, the Qt application and the QML engine; all
// state lives in the view-models of ui/.
#include "app/paths.h"
#include "engine/logging/log.h"

#include <QGuiApplication>
#include <QQmlApplicationEngine>
#include <QQuickStyle>
#include <QtQml/QQmlExtensionPlugin>

Q_IMPORT_QML_PLUGIN(FlintPlugin)

int main(int argc, char* argv[]) {
  flint::log::LogOptions logOptions;
  logOptions.directory = flint::app::stateDir();
  flint::log::initLogging(logOptions);
  auto log = flint::log::logger("ui");

  QGuiApplication app(argc, argv);
  QGuiApplication::setApplicationName("Flint");
  QGuiApplication::setOrganizationName("Flint");
  QGuiApplication::setApplicationVersion(flint::app::versionString());
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
  return app.exec();
}
