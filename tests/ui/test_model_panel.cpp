// The model panel's model with a ChatController on flint-tiny and a temporary store: the
// bundled model is preselected with its memory plan in words, a folder that is not a V4
// checkpoint is reported as a sentence and leaves the loaded model in use, a cancelled load
// keeps the previous model, and a host budget is saved and reloads the model.
#include "app/store/conversation_service.h"
#include "app/store/settings.h"
#include "tests/ui/greedy_database.h"
#include "ui/chat_controller.h"
#include "ui/model_panel_model.h"

#include <QDir>
#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>
#include <optional>

using flint::ui::ChatController;
using flint::ui::MessageModel;
using flint::ui::ModelPanelModel;
namespace store = flint::store;

namespace {

constexpr int kTimeoutMs = 60000;

QString tinyDir() {
  return QDir::cleanPath(QStringLiteral(FLINT_TINY_DIR));
}

}  // namespace

class ModelPanelTest : public QObject {
  Q_OBJECT

 private slots:
  void init() {
    QVERIFY(dir_.isValid());
    dbPath_ = dir_.path() + "/panel.db";
    flint::ui::testing::createGreedyDatabase(dbPath_, 4);
    chat_.emplace();
    chat_->setDatabasePath(dbPath_);
    panel_.emplace();
    panel_->setChat(&*chat_);
  }
  void cleanup() {
    panel_.reset();
    chat_.reset();
  }

  void theBundledModelIsPreselectedWithItsPlan() {
    QVERIFY(panel_->folder().endsWith("flint-tiny"));
    panel_->setFolder(tinyDir());
    QVERIFY2(panel_->valid(), qPrintable(panel_->error()));
    QCOMPARE(panel_->error(), QString());
    QVERIFY(panel_->routedExpertBytes() > 0);
    const QString plan = panel_->planText();
    QVERIFY2(plan.contains("In RAM: ") && plan.contains("no GPU tier yet"), qPrintable(plan));
    QVERIFY(plan.contains("Nothing is read from disk"));  // 13 MB fits in any RAM
  }

  void aFolderThatIsNotV4IsASentenceAndTheModelStays() {
    loadTiny();
    QTemporaryDir other;
    QFile config(other.path() + "/config.json");
    QVERIFY(config.open(QIODevice::WriteOnly));
    config.write(R"({"model_type": "llama", "hidden_size": 64})");
    config.close();

    panel_->setFolder(other.path());
    QVERIFY(!panel_->valid());
    QVERIFY2(panel_->error().startsWith("This folder is not a DeepSeek-V4 checkpoint: ") &&
                 panel_->error().endsWith('.'),
             qPrintable(panel_->error()));
    QCOMPARE(panel_->planText(), QString());
    panel_->load();  // refused: nothing starts
    QCOMPARE(chat_->modelStatus(), QStringLiteral("ready"));

    // Loaded anyway (the controller's own path), the engine's sentence shows and tiny stays.
    chat_->loadModel(other.path());
    QCOMPARE(chat_->modelStatus(), QStringLiteral("loading"));
    QTRY_COMPARE_WITH_TIMEOUT(chat_->modelStatus(), QStringLiteral("ready"), kTimeoutMs);
    QCOMPARE(chat_->modelName(), QStringLiteral("flint-tiny"));
    QCOMPARE(QDir::cleanPath(chat_->modelDir()), tinyDir());
    QVERIFY2(chat_->error().startsWith("The model could not be loaded: ") &&
                 chat_->error().endsWith("flint-tiny is still in use."),
             qPrintable(chat_->error()));
    QCOMPARE(replyState(), QStringLiteral("done"));

    panel_->setFolder(dir_.path() + "/missing");
    QVERIFY(panel_->error().startsWith("The folder ") &&
            panel_->error().endsWith("does not exist."));
  }

  void aCancelledLoadKeepsThePreviousModel() {
    loadTiny();
    QTemporaryDir copy;
    const QString other = copy.path() + "/other-model";
    std::filesystem::copy(tinyDir().toStdString(), other.toStdString(),
                          std::filesystem::copy_options::recursive);
    panel_->setFolder(other);
    QVERIFY(panel_->valid());
    panel_->load();
    QCOMPARE(chat_->modelStatus(), QStringLiteral("loading"));
    QVERIFY(!chat_->loadPhase().isEmpty());
    panel_->cancel();
    QCOMPARE(chat_->modelStatus(), QStringLiteral("ready"));
    QCOMPARE(chat_->modelName(), QStringLiteral("flint-tiny"));
    QCOMPARE(chat_->loadPhase(), QString());
    // The reply queues behind the abandoned load and runs on the previous model.
    QCOMPARE(replyState(), QStringLiteral("done"));
    QCOMPARE(chat_->modelName(), QStringLiteral("flint-tiny"));
    QCOMPARE(QDir::cleanPath(chat_->modelDir()), tinyDir());
    QCOMPARE(chat_->error(), QString());
  }

  void cancelWithNoModelBeforeLeavesNone() {
    chat_->loadModel(tinyDir());
    chat_->cancelLoad();
    QCOMPARE(chat_->modelStatus(), QStringLiteral("idle"));
    QCOMPARE(chat_->modelName(), QString());
    QCOMPARE(replyState(), QStringLiteral("error"));  // "No model is loaded…"
    QCOMPARE(chat_->modelStatus(), QStringLiteral("idle"));
  }

  void aBudgetIsSavedAndReloadsTheModel() {
    loadTiny();
    panel_->setFolder(tinyDir());
    const qint64 half = panel_->routedExpertBytes() / 2;
    QSignalSpy planChanged(&*panel_, &ModelPanelModel::inspected);
    panel_->applyBudget(half);
    QCOMPARE(chat_->hostExpertBudget(), half);
    QVERIFY(planChanged.count() > 0);
    QVERIFY2(panel_->planText().startsWith("Your budget keeps ") &&
                 panel_->planText().contains("Read from disk when used: "),
             qPrintable(panel_->planText()));
    QCOMPARE(chat_->modelStatus(), QStringLiteral("loading"));
    QTRY_COMPARE_WITH_TIMEOUT(chat_->modelStatus(), QStringLiteral("ready"), kTimeoutMs);
    QCOMPARE(chat_->error(), QString());
    {
      store::ConversationService peek(dbPath_.toStdString());
      QCOMPARE(store::effectiveSettings(peek.database(), {}).memory.hostBytes,
               std::optional<std::uint64_t>(std::uint64_t(half)));
    }
    QCOMPARE(replyState(), QStringLiteral("done"));
    QVERIFY(chat_->stats()->expertTiers());

    panel_->applyBudget(0);  // back to the machine's plan
    QCOMPARE(chat_->hostExpertBudget(), 0);
    QVERIFY(!panel_->planText().startsWith("Your budget"));
    QTRY_COMPARE_WITH_TIMEOUT(chat_->modelStatus(), QStringLiteral("ready"), kTimeoutMs);
  }

 private:
  void loadTiny() {
    chat_->setModelDir(tinyDir());
    QTRY_COMPARE_WITH_TIMEOUT(chat_->modelStatus(), QStringLiteral("ready"), kTimeoutMs);
  }

  // Sends a question in a new conversation; the state of its reply.
  QString replyState() {
    chat_->newConversation();
    QSignalSpy finished(&*chat_, &ChatController::replyFinished);
    chat_->send("Hello?");
    if (!finished.wait(kTimeoutMs)) return QStringLiteral("timed out");
    return chat_->messages()->index(1).data(MessageModel::StateRole).toString();
  }

  QTemporaryDir dir_;
  QString dbPath_;
  std::optional<ChatController> chat_;
  std::optional<ModelPanelModel> panel_;
};

QTEST_MAIN(ModelPanelTest)
#include "test_model_panel.moc"
