// Runs the QML TestCases in tests/ui/qml against the Flint QML module.
#include <QQmlEngine>
#include <QQuickStyle>
#include <QtQml/QQmlExtensionPlugin>
#include <QtQuickTest>

Q_IMPORT_QML_PLUGIN(FlintPlugin)

class Setup : public QObject {
  Q_OBJECT
 public slots:
  void applicationAvailable() { QQuickStyle::setStyle("Fusion"); }
  void qmlEngineAvailable(QQmlEngine* engine) { engine->addImportPath("qrc:/"); }
};

QUICK_TEST_MAIN_WITH_SETUP(flint_ui, Setup)
#include "tst_qml_main.moc"
