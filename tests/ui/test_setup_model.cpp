// The first-start setup: in a fresh home the main window opens the setup dialog; the model
// checks a folder off the GUI thread and gives its verdict and plan in words; Save writes the
// plan and hands back the folder; a truncated shard cannot be saved; Skip remembers itself.
#include "tests/ui/window_probe.h"
#include "ui/setup_model.h"

#include <QQuickItem>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtQml/QQmlExtensionPlugin>
#include <QtTest>

#include <filesystem>

Q_IMPORT_QML_PLUGIN(FlintPlugin)

using flint::ui::SetupModel;
namespace fs = std::filesystem;

class SetupModelTest : public QObject {
  Q_OBJECT

 private slots:
  void init() {
    QVERIFY(home_.isValid());
    // A fresh home for each case: nothing set up yet.
    config_ = home_.path() + "/config-" + QString::number(++run_);
    qputenv("XDG_CONFIG_HOME", config_.toUtf8());
    model_ = fs::path(home_.path().toStdString()) / ("model-" + std::to_string(run_));
    fs::copy(fs::path(FLINT_TEST_CHECKPOINTS) / "tiny_sharded", model_,
             fs::copy_options::recursive);
  }

  void aCompleteFolderIsPlannedAndSaved() {
    SetupModel setup;
    QVERIFY(setup.needed());
    QVERIFY(!setup.machineText().isEmpty());
    setup.setFolder(QString::fromStdString(model_.string()));
    QSignalSpy done(&setup, &SetupModel::checked);
    setup.check();
    QVERIFY(setup.checking());
    QTRY_VERIFY_WITH_TIMEOUT(!setup.checking(), 30000);
    QVERIFY2(setup.verdictText().contains("is complete"), qPrintable(setup.verdictText()));
    QVERIFY2(setup.planText().contains("tokens/s"), qPrintable(setup.planText()));
    QVERIFY(setup.canSave());
    QCOMPARE(setup.save(), QString::fromStdString(fs::absolute(model_).string()));
    QVERIFY(!setup.needed());
    QVERIFY(fs::exists(config_.toStdString() + "/flint/workstation.json"));
    QVERIFY(!SetupModel().needed());
  }

  void aTruncatedShardCannotBeSaved() {
    const fs::path shard = model_ / "model-00002-of-00002.safetensors";
    fs::resize_file(shard, fs::file_size(shard) - 1);
    SetupModel setup;
    setup.setFolder(QString::fromStdString(model_.string()));
    setup.check();
    QTRY_VERIFY_WITH_TIMEOUT(!setup.checking(), 30000);
    QVERIFY2(setup.verdictText().contains("model-00002-of-00002.safetensors is truncated"),
             qPrintable(setup.verdictText()));
    QVERIFY(!setup.canSave());
    QVERIFY(setup.save().isEmpty());
    QVERIFY(setup.needed());
  }

  void skipIsRemembered() {
    SetupModel setup;
    QVERIFY(setup.needed());
    setup.skip();
    QVERIFY(!setup.needed());
    QVERIFY(!SetupModel().needed());
  }

  void theMainWindowOpensTheDialogOnFirstStart() {
    QQmlApplicationEngine engine;
    QQuickWindow* window = flint::ui::testing::openMainWindow(engine);
    QVERIFY(window);
    QObject* dialog = window->findChild<QObject*>("setupDialog");
    QVERIFY(dialog);
    QTRY_VERIFY(dialog->property("visible").toBool());
    // Skipping closes it, and the next start does not ask again.
    auto* skip = window->findChild<QQuickItem*>("setupSkip");
    QVERIFY(skip);
    QMetaObject::invokeMethod(skip, "clicked");
    QTRY_VERIFY(!dialog->property("visible").toBool());
    QVERIFY(!SetupModel().needed());
  }

 private:
  QTemporaryDir home_;
  QString config_;
  fs::path model_;
  int run_ = 0;
};

QTEST_MAIN(SetupModelTest)
#include "test_setup_model.moc"
