// The model panel's "Compute on" choice with a usable GPU: the host emulation of the CUDA module
// (host_ops_module, named by FLINT_CUDA_MODULE in the test's ctest environment, because the panel
// probes once per process). The GPU is offered by name; chosen in the panel, it reloads
// flint-tiny with ComputeDevice::Cuda, the panel says where it computes with the device memory
// plan, and a reply streams to the end; the CPU chosen again reloads on the CPU.
#include "app/store/conversation_service.h"
#include "app/store/settings.h"
#include "tests/ui/model_panel_test_support.h"
#include "ui/chat_controller.h"
#include "ui/model_panel_model.h"

#include <QQmlEngine>
#include <QQuickItem>
#include <QQuickStyle>
#include <QQuickWindow>
#include <QTemporaryDir>
#include <QtQml/QQmlExtensionPlugin>
#include <QtTest>

#include <memory>
#include <optional>

using flint::ui::ChatController;
using flint::ui::ModelPanelModel;
namespace store = flint::store;

Q_IMPORT_QML_PLUGIN(FlintPlugin)

using namespace flint::ui::testing;

namespace {

const QString kDeviceName = QStringLiteral("Host emulation of the CUDA ops");

}  // namespace

class ModelPanelGpuTest : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() {
    QVERIFY2(qEnvironmentVariableIsSet("FLINT_CUDA_MODULE"),
             "run through ctest, which names the host emulation in FLINT_CUDA_MODULE");
    // Before any QML that uses Qt Quick Controls is loaded.
    QQuickStyle::setStyle(QStringLiteral("Fusion"));
  }

  void init() {
    QVERIFY(dir_.isValid());
    startChatOnFreshStore(dir_, dbPath_, chat_);
  }
  void cleanup() {
    window_.reset();
    engine_.reset();
    chat_.reset();
  }

  void theEmulatedGpuIsOfferedByName() {
    openPanel();
    QVERIFY(model_->gpuUsable());
    QVERIFY2(model_->gpuNote().startsWith(kDeviceName + " with "), qPrintable(model_->gpuNote()));
    QTRY_VERIFY(item("gpuNote")->isVisible());
    QCOMPARE(item("gpuNote")->property("text").toString(), model_->gpuNote());
    QVERIFY(item("computeGpu")->isEnabled());
    QVERIFY(item("computeCpu")->property("checked").toBool());
  }

  void choosingTheGpuLoadsOnTheDevice() {
    loadTiny(*chat_);
    openPanel();
    QVERIFY2(model_->computeText().startsWith("Computes on CPU"),
             qPrintable(model_->computeText()));

    click("computeGpu");
    QVERIFY(item("computeGpu")->property("checked").toBool());
    QVERIFY(model_->computeOnGpu());
    QVERIFY(chat_->computeDevice() == flint::engine::ComputeDevice::Cuda);
    QVERIFY2(model_->planText().contains("The GPU computes"), qPrintable(model_->planText()));
    QCOMPARE(chat_->modelStatus(), QStringLiteral("loading"));  // the choice reloads
    QTRY_COMPARE_WITH_TIMEOUT(chat_->modelStatus(), QStringLiteral("ready"), kTimeoutMs);
    QCOMPARE(chat_->error(), QString());
    {
      store::ConversationService peek(dbPath_.toStdString());
      QVERIFY(store::effectiveSettings(peek.database(), {}).compute == store::ComputeChoice::Gpu);
    }

    const QString text = model_->computeText();
    QVERIFY2(text.startsWith("Computes on CUDA: " + kDeviceName), qPrintable(text));
    QVERIFY(!chat_->devicePlan().isEmpty());
    QVERIFY2(text.endsWith('\n' + chat_->devicePlan()) && text.contains("routed experts"),
             qPrintable(text));
    QCOMPARE(item("computeText")->property("text").toString(), text);

    QCOMPARE(replyState(*chat_), QStringLiteral("done"));
    QCOMPARE(chat_->error(), QString());
  }

  void choosingTheCpuAgainReloadsOnTheCpu() {
    loadTiny(*chat_);
    chat_->setComputeOnGpu(true);
    QTRY_COMPARE_WITH_TIMEOUT(chat_->modelStatus(), QStringLiteral("ready"), kTimeoutMs);
    QVERIFY2(chat_->computeDescription().startsWith("CUDA: " + kDeviceName),
             qPrintable(chat_->computeDescription()));
    openPanel();
    QVERIFY(item("computeGpu")->property("checked").toBool());

    click("computeCpu");
    QVERIFY(!model_->computeOnGpu());
    QVERIFY(chat_->computeDevice() == flint::engine::ComputeDevice::Cpu);
    QCOMPARE(chat_->modelStatus(), QStringLiteral("loading"));
    QTRY_COMPARE_WITH_TIMEOUT(chat_->modelStatus(), QStringLiteral("ready"), kTimeoutMs);
    QCOMPARE(chat_->error(), QString());
    {
      store::ConversationService peek(dbPath_.toStdString());
      QVERIFY(store::effectiveSettings(peek.database(), {}).compute == store::ComputeChoice::Cpu);
    }
    QVERIFY2(chat_->computeDescription().startsWith("CPU"),
             qPrintable(chat_->computeDescription()));
    QCOMPARE(chat_->devicePlan(), QString());
    QCOMPARE(model_->computeText(),
             QStringLiteral("Computes on %1.").arg(chat_->computeDescription()));
    QCOMPARE(replyState(*chat_), QStringLiteral("done"));
  }

 private:
  // A window with the model panel open on the test's chat and on flint-tiny's folder.
  void openPanel() {
    engine_ = std::make_unique<QQmlEngine>();
    openModelPanel(*engine_, *chat_, window_);
    QVERIFY(window_ && !QTest::currentTestFailed());
    model_ = window_->findChild<ModelPanelModel*>("modelPanelModel");
    QVERIFY(model_);
    model_->setFolder(tinyDir());
    QVERIFY2(model_->valid(), qPrintable(model_->error()));
    QTRY_VERIFY(item("computeGpu")->isVisible());
  }

  QQuickItem* item(const char* name) const {
    auto* found = window_->findChild<QQuickItem*>(QString::fromLatin1(name));
    if (!found) qFatal("the model panel has no %s", name);
    return found;
  }

  // A click at the item's centre, as the user makes it (a RadioButton acts on `toggled`).
  void click(const char* name) {
    QQuickItem* target = item(name);
    QVERIFY(target->isEnabled());
    const QPointF centre = target->mapToScene(QPointF(target->width() / 2, target->height() / 2));
    QTest::mouseClick(qobject_cast<QQuickWindow*>(window_.get()), Qt::LeftButton, {},
                      centre.toPoint());
  }

  QTemporaryDir dir_;
  QString dbPath_;
  std::optional<ChatController> chat_;
  std::unique_ptr<QQmlEngine> engine_;
  std::unique_ptr<QObject> window_;
  ModelPanelModel* model_ = nullptr;  // the panel's own, in window_
};

QTEST_MAIN(ModelPanelGpuTest)
#include "test_model_panel_gpu.moc"
