// The model panel's model with a ChatController on flint-tiny and a temporary store: the
// bundled model is preselected with its memory plan in words, a folder that is not a V4
// checkpoint is reported as a sentence and leaves the loaded model in use, a cancelled load
// keeps the previous model, a host budget is saved and reloads the model, and where the model
// computes: said after a load, the GPU choice refused (with the reason) where there is none, the
// CPU choice saved and passed to the load. The remote entry against a real `flint-cli serve`:
// its connection test in words, the endpoint (key included) saved and read back, and the engine
// worker answering through the endpoint. The folder picker ("Browse…"): its file:// URLs become
// local paths, and its choice sets the folder.
#include "app/remote/remote_chat.h"
#include "app/remote/remote_settings.h"
#include "app/store/conversation_service.h"
#include "app/store/database.h"
#include "app/store/settings.h"
#include "engine/backend/cuda_module.h"
#include "tests/app/remote/serve_process.h"
#include "tests/ui/model_panel_test_support.h"
#include "ui/chat_controller.h"
#include "ui/engine_worker.h"
#include "ui/local_path.h"
#include "ui/model_memory.h"
#include "ui/model_panel_model.h"

#include <QDir>
#include <QFile>
#include <QQmlEngine>
#include <QQuickItem>
#include <QQuickStyle>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QThread>
#include <QtQml/QQmlExtensionPlugin>
#include <QtTest>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <memory>
#include <optional>
#include <thread>

using flint::ui::ChatController;
using flint::ui::ModelPanelModel;
namespace store = flint::store;

Q_IMPORT_QML_PLUGIN(FlintPlugin)

using namespace flint::ui::testing;

class ModelPanelTest : public QObject {
  Q_OBJECT

 private slots:
  // Before any QML that uses Qt Quick Controls is loaded.
  void initTestCase() { QQuickStyle::setStyle(QStringLiteral("Fusion")); }

  void init() {
    QVERIFY(dir_.isValid());
    startChatOnFreshStore(dir_, dbPath_, chat_);
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
    QVERIFY2(plan.contains("In RAM: ") && plan.contains("The CPU computes"), qPrintable(plan));
    QVERIFY(plan.contains("Nothing is read from disk"));  // 13 MB fits in any RAM
  }

  void aFolderThatIsNotV4IsASentenceAndTheModelStays() {
    loadTiny(*chat_);
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
    QCOMPARE(replyState(*chat_), QStringLiteral("done"));

    panel_->setFolder(dir_.path() + "/missing");
    QVERIFY(panel_->error().startsWith("The folder ") &&
            panel_->error().endsWith("does not exist."));
  }

  void aCancelledLoadKeepsThePreviousModel() {
    loadTiny(*chat_);
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
    QCOMPARE(replyState(*chat_), QStringLiteral("done"));
    QCOMPARE(chat_->modelName(), QStringLiteral("flint-tiny"));
    QCOMPARE(QDir::cleanPath(chat_->modelDir()), tinyDir());
    QCOMPARE(chat_->error(), QString());
  }

  void cancelWithNoModelBeforeLeavesNone() {
    chat_->loadModel(tinyDir());
    chat_->cancelLoad();
    QCOMPARE(chat_->modelStatus(), QStringLiteral("idle"));
    QCOMPARE(chat_->modelName(), QString());
    QCOMPARE(replyState(*chat_), QStringLiteral("error"));  // "No model is loaded…"
    QCOMPARE(chat_->modelStatus(), QStringLiteral("idle"));
  }

  void aBudgetIsSavedAndReloadsTheModel() {
    loadTiny(*chat_);
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
    QCOMPARE(replyState(*chat_), QStringLiteral("done"));
    QVERIFY(chat_->stats()->expertTiers());

    panel_->applyBudget(0);  // back to the machine's plan
    QCOMPARE(chat_->hostExpertBudget(), 0);
    QVERIFY(!panel_->planText().startsWith("Your budget"));
    QTRY_COMPARE_WITH_TIMEOUT(chat_->modelStatus(), QStringLiteral("ready"), kTimeoutMs);
  }

  // After a load the panel says where the model computes; on the CPU there is no device plan.
  void theComputeDescriptionAppearsAfterALoad() {
    QCOMPARE(panel_->computeText(), QString());
    QSignalSpy computeChanged(&*panel_, &ModelPanelModel::computeChanged);
    loadTiny(*chat_);
    QVERIFY(computeChanged.count() > 0);
    QVERIFY2(chat_->computeDescription().startsWith("CPU"),
             qPrintable(chat_->computeDescription()));
    QCOMPARE(chat_->devicePlan(), QString());
    QCOMPARE(panel_->computeText(),
             QStringLiteral("Computes on %1.").arg(chat_->computeDescription()));
  }

  // Without a usable GPU the choice stays on the CPU, and the panel says why in a caption.
  void theGpuChoiceIsDisabledWithoutAGpuAndSaysWhy() {
    const flint::engine::CudaProbeResult probe = flint::engine::probeCuda();
    if (probe.usable) QSKIP("this machine has a usable GPU");
    QVERIFY(!panel_->gpuUsable());
    QVERIFY2(panel_->gpuNote().startsWith("No usable GPU: ") &&
                 panel_->gpuNote().contains(QString::fromStdString(probe.reason)),
             qPrintable(panel_->gpuNote()));
    panel_->chooseCompute(true);  // refused: nothing to compute on
    QVERIFY(!panel_->computeOnGpu());
    QVERIFY(chat_->computeDevice() == flint::engine::ComputeDevice::Cpu);

    QQmlEngine engine;
    std::unique_ptr<QObject> window;
    openModelPanel(engine, *chat_, window);
    auto* gpu = window->findChild<QObject*>("computeGpu");
    auto* cpu = window->findChild<QObject*>("computeCpu");
    auto* note = window->findChild<QObject*>("gpuNote");
    QVERIFY(gpu && cpu && note);
    QTRY_VERIFY(note->property("visible").toBool());
    QVERIFY(!gpu->property("enabled").toBool());
    QVERIFY(cpu->property("checked").toBool());
    QCOMPARE(note->property("text").toString(), panel_->gpuNote());
  }

  // The stored GPU choice reaches the load as ComputeDevice::Cuda (which fails in words without
  // a device), and choosing the CPU is saved and loads with ComputeDevice::Cpu.
  void choosingTheCpuLoadsOnTheCpu() {
    loadTiny(*chat_);
    panel_->setFolder(tinyDir());
    chat_->setComputeOnGpu(true);
    QVERIFY(panel_->computeOnGpu());
    QVERIFY(chat_->computeDevice() == flint::engine::ComputeDevice::Cuda);
    QVERIFY2(panel_->planText().contains("The GPU computes"), qPrintable(panel_->planText()));
    QTRY_COMPARE_WITH_TIMEOUT(chat_->modelStatus(), QStringLiteral("ready"), kTimeoutMs);
    if (!flint::engine::probeCuda().usable)
      QVERIFY2(chat_->error().startsWith("The model could not be loaded: ") &&
                   chat_->error().endsWith("flint-tiny is still in use."),
               qPrintable(chat_->error()));

    panel_->chooseCompute(false);
    QVERIFY(!panel_->computeOnGpu());
    QVERIFY(chat_->computeDevice() == flint::engine::ComputeDevice::Cpu);
    {
      store::ConversationService peek(dbPath_.toStdString());
      QVERIFY(store::effectiveSettings(peek.database(), {}).compute == store::ComputeChoice::Cpu);
    }
    const auto memory = flint::ui::planModelMemory(tinyDir().toStdString());
    QVERIFY(flint::ui::loadOptionsFor(memory, std::nullopt, chat_->computeDevice()).device ==
            flint::engine::ComputeDevice::Cpu);
    QCOMPARE(chat_->modelStatus(), QStringLiteral("loading"));  // the choice reloads
    QTRY_COMPARE_WITH_TIMEOUT(chat_->modelStatus(), QStringLiteral("ready"), kTimeoutMs);
    QVERIFY2(chat_->computeDescription().startsWith("CPU"),
             qPrintable(chat_->computeDescription()));
    QCOMPARE(replyState(*chat_), QStringLiteral("done"));
  }

  void theRemoteEntryIsTestedInWordsAndSaved() {
    flint::testing::ServeProcess server(FLINT_TEST_CLI, {"--api-key", "sesame"});
    panel_->setRemote(true);
    panel_->setRemoteUrl(QString::fromStdString(server.url()));
    panel_->setRemoteApiKey("wrong");
    testConnection();
    QVERIFY(!panel_->connectionOk());
    QCOMPARE(panel_->connectionText(),
             QStringLiteral("The endpoint refused the API key (HTTP 401): The API key is not "
                            "valid for this server."));

    panel_->setRemoteApiKey("sesame");
    testConnection();
    QVERIFY2(panel_->connectionOk(), qPrintable(panel_->connectionText()));
    QCOMPARE(panel_->connectionText(),
             QStringLiteral("Connected: the endpoint serves flint-tiny."));
    QCOMPARE(panel_->remoteModels(), QStringList{"flint-tiny"});
    QCOMPARE(panel_->remoteModel(), QStringLiteral("flint-tiny"));  // the first, when none given

    panel_->setRemoteModel("nope");
    testConnection();
    QVERIFY(!panel_->connectionOk());
    QVERIFY2(panel_->connectionText().contains("serves flint-tiny, not “nope”"),
             qPrintable(panel_->connectionText()));
    panel_->setRemoteModel("flint-tiny");

    panel_->useRemote();
    {
      auto db = store::Database::open(dbPath_.toStdString());
      const auto stored = flint::remote::loadEndpoint(db);
      QVERIFY(stored);
      QCOMPARE(stored->endpoint.url, server.url());
      QCOMPARE(stored->endpoint.apiKey, std::string("sesame"));
      QCOMPARE(stored->endpoint.model, std::string("flint-tiny"));
      QVERIFY(stored->inUse);
    }
    ModelPanelModel reopened;
    reopened.setChat(&*chat_);
    QVERIFY(reopened.remote());
    QCOMPARE(reopened.remoteUrl(), QString::fromStdString(server.url()));
    QCOMPARE(reopened.remoteApiKey(), QStringLiteral("sesame"));

    const flint::testing::ClosedPort closed;
    panel_->setRemoteUrl(QString::fromStdString(closed.url()));
    testConnection();
    QVERIFY(!panel_->connectionOk());
    QVERIFY2(panel_->connectionText().startsWith("Nothing answers at http://127.0.0.1:"),
             qPrintable(panel_->connectionText()));
  }

  // The app's local server answers another program from the loaded model while the chat
  // answers too (they take turns), follows nothing once switched off, and says why it cannot
  // start on a port already taken.
  void theLocalServerAnswersOtherProgramsBesideTheChat() {
    loadTiny(*chat_);
    chat_->setServing(true, 0);
    QTRY_VERIFY_WITH_TIMEOUT(!chat_->serverUrl().isEmpty(), kTimeoutMs);
    QCOMPARE(chat_->serverError(), QString());
    flint::remote::RemoteEndpoint endpoint;
    endpoint.url = chat_->serverUrl().toStdString();
    endpoint.model = "flint-tiny";
    const auto models = flint::remote::RemoteClient(endpoint).models();
    QCOMPARE(models.size(), std::size_t(1));
    QCOMPARE(models[0].id, std::string("flint-tiny"));

    struct Sink final : flint::engine::StreamSink {
      std::string answer;
      void onThinking(std::string_view) override {}
      void onAnswer(std::string_view t) override { answer += t; }
      void onStats(const flint::engine::Stats&) override {}
    } sink;
    flint::engine::GenerateRequest request;
    request.messages = {{flint::engine::ChatRole::kUser, "What is 2+2?", ""}};
    request.sampling.temperature = 0;
    request.maxTokens = 24;
    std::thread other([&] { flint::remote::RemoteChat(endpoint).generate(request, sink); });
    QCOMPARE(replyState(*chat_), QStringLiteral("done"));  // the chat answers meanwhile
    other.join();
    QVERIFY(!sink.answer.empty());

    // A second server cannot take the same port: said in words, and the first goes on.
    const int port = QUrl(chat_->serverUrl()).port();
    ChatController second;
    second.setDatabasePath(dbPath_);
    second.setModelDir(tinyDir());
    QTRY_COMPARE_WITH_TIMEOUT(second.modelStatus(), QStringLiteral("ready"), kTimeoutMs);
    second.setServing(true, port);
    QTRY_VERIFY_WITH_TIMEOUT(!second.serverError().isEmpty(), kTimeoutMs);
    QVERIFY2(second.serverError().startsWith("The local server could not start: "),
             qPrintable(second.serverError()));

    chat_->setServing(false);
    QTRY_VERIFY_WITH_TIMEOUT(chat_->serverUrl().isEmpty(), kTimeoutMs);
    QVERIFY_THROWS_EXCEPTION(flint::remote::RemoteError,
                             flint::remote::RemoteClient(endpoint).models());
  }

  // At start the app chats with the endpoint chosen last time; when it does not answer, with
  // the bundled model, and says so.
  void theStoredEndpointIsUsedAtStartOrTheBundledModel() {
    flint::testing::ServeProcess server(FLINT_TEST_CLI, {});
    const auto store = [&](const std::string& url) {
      auto db = store::Database::open(dbPath_.toStdString());
      flint::remote::StoredEndpoint stored;
      stored.endpoint.url = url;
      stored.endpoint.model = "flint-tiny";
      stored.inUse = true;
      flint::remote::saveEndpoint(db, stored);
    };
    store(server.url());
    {
      ChatController started;
      started.setDatabasePath(dbPath_);
      started.componentComplete();
      QTRY_COMPARE_WITH_TIMEOUT(started.modelStatus(), QStringLiteral("ready"), kTimeoutMs);
      QVERIFY2(started.modelDir().startsWith("http://127.0.0.1:"), qPrintable(started.modelDir()));
    }
    const flint::testing::ClosedPort closed;
    store(closed.url());
    ChatController fallback;
    fallback.setDatabasePath(dbPath_);
    fallback.componentComplete();
    QTRY_COMPARE_WITH_TIMEOUT(fallback.modelStatus(), QStringLiteral("ready"), kTimeoutMs);
    QCOMPARE(QDir(fallback.modelDir()).dirName(), QStringLiteral("flint-tiny"));
    QVERIFY2(fallback.error().contains("The bundled model answers instead."),
             qPrintable(fallback.error()));
  }

  // The dialog itself: the remote entry's fields replace the folder's, the key is not echoed,
  // and "Test connection" shows its result in words and offers the endpoint's models.
  void theDialogShowsTheRemoteEntry() {
    flint::testing::ServeProcess server(FLINT_TEST_CLI, {});
    QQmlEngine engine;
    std::unique_ptr<QObject> window;
    openModelPanel(engine, *chat_, window);
    QVERIFY(window && !QTest::currentTestFailed());
    const auto find = [&](const char* name) { return window->findChild<QQuickItem*>(name); };
    auto* model = window->findChild<ModelPanelModel*>("modelPanelModel");
    QVERIFY(model && find("remoteUrlField") && find("folderField"));
    QTRY_VERIFY(find("folderField")->isVisible());
    QVERIFY(!find("remoteUrlField")->isVisible());

    model->setRemote(true);
    QTRY_VERIFY(find("remoteUrlField")->isVisible());
    QVERIFY(!find("folderField")->isVisible());
    QCOMPARE(find("remoteKeyField")->property("echoMode").toInt(), 2);  // TextInput.Password
    QVERIFY(!find("useRemoteButton")->isEnabled());

    model->setRemoteUrl(QString::fromStdString(server.url()));
    QMetaObject::invokeMethod(find("testConnectionButton"), "clicked");
    QTRY_COMPARE_WITH_TIMEOUT(find("connectionText")->property("text").toString(),
                              QStringLiteral("Connected: the endpoint serves flint-tiny."),
                              kTimeoutMs);
    QVERIFY(find("useRemoteButton")->isEnabled());
    QCOMPARE(find("remoteModelBox")->property("editText").toString(), QStringLiteral("flint-tiny"));
    QCOMPARE(find("remoteModelBox")->property("count").toInt(), 1);
  }

  // What the pickers hand over becomes a local path; what is not on this computer is refused in
  // a sentence.
  void pickerUrlsBecomeLocalPaths() {
    const flint::ui::LocalPath spaced = flint::ui::localPathFromUrl(QUrl("file:///a%20b/"));
    QCOMPARE(spaced.path, QStringLiteral("/a b"));
    QCOMPARE(spaced.error, QString());
    QCOMPARE(flint::ui::localPathFromUrl(QUrl("file:///")).path, QStringLiteral("/"));

    const flint::ui::LocalPath web =
        flint::ui::localPathFromUrl(QUrl("https://example.org/models/v4"));
    QCOMPARE(web.path, QString());
    QCOMPARE(web.error, QStringLiteral("Flint opens files and folders on this computer only, not "
                                       "https://example.org/models/v4."));
    const flint::ui::LocalPath none = flint::ui::localPathFromUrl(QUrl());
    QCOMPARE(none.path, QString());
    QCOMPARE(none.error, QStringLiteral("No file or folder was chosen."));
  }

  // The picker opens at the folder; at home when the folder is empty or missing.
  void browsingStartsAtTheFolderOrHome() {
    panel_->setFolder(tinyDir() + "/");
    QCOMPARE(panel_->browseStart(), QUrl::fromLocalFile(tinyDir()));
    panel_->setFolder(dir_.path() + "/missing");
    QCOMPARE(panel_->browseStart(), QUrl::fromLocalFile(QDir::homePath()));
    panel_->setFolder("");
    QCOMPARE(panel_->browseStart(), QUrl::fromLocalFile(QDir::homePath()));
  }

  // A chosen folder is set as a typed one is (checked, its plan shown); a URL that is not
  // local leaves the folder and says why.
  void aChosenFolderIsSetAsATypedOneIs() {
    QTemporaryDir copy;
    const QString spaced = copy.path() + "/my model";
    std::filesystem::copy(tinyDir().toStdString(), spaced.toStdString(),
                          std::filesystem::copy_options::recursive);
    QSignalSpy changed(&*panel_, &ModelPanelModel::folderChanged);
    const QUrl url = QUrl::fromLocalFile(spaced + "/");
    QVERIFY2(url.toString(QUrl::FullyEncoded).endsWith("/my%20model/"), qPrintable(url.toString()));
    panel_->chooseFolder(url);
    QCOMPARE(changed.count(), 1);
    QCOMPARE(panel_->folder(), spaced);
    QVERIFY2(panel_->valid(), qPrintable(panel_->error()));
    QVERIFY(!panel_->planText().isEmpty());

    panel_->chooseFolder(QUrl("https://example.org/models/v4"));
    QCOMPARE(changed.count(), 1);
    QCOMPARE(panel_->folder(), spaced);
    QVERIFY2(panel_->error().startsWith("Flint opens files and folders on this computer only"),
             qPrintable(panel_->error()));
  }

  // "Browse…" opens Qt's folder picker at the panel's folder; the folder chosen in it (here the
  // one the picker highlights in that folder) becomes the panel's, and shows in the field; a
  // cancelled picker leaves the folder.
  void theBrowseButtonPicksTheFolder() {
    QTemporaryDir copy;
    const QString spaced = copy.path() + "/my model";
    std::filesystem::copy(tinyDir().toStdString(), spaced.toStdString(),
                          std::filesystem::copy_options::recursive);
    QQmlEngine engine;
    std::unique_ptr<QObject> window;
    openModelPanel(engine, *chat_, window);
    QVERIFY(window && !QTest::currentTestFailed());
    auto* model = window->findChild<ModelPanelModel*>("modelPanelModel");
    auto* browse = window->findChild<QQuickItem*>("browseFolderButton");
    auto* field = window->findChild<QQuickItem*>("folderField");
    QVERIFY(model && browse && field);
    QTRY_VERIFY(browse->isVisible());
    QVERIFY(!window->findChild<QObject*>("modelFolderDialog"));  // made when it is wanted

    model->setFolder(copy.path());  // the folder that holds the model
    QVERIFY(QMetaObject::invokeMethod(browse, "clicked"));
    QPointer<QObject> picker = window->findChild<QObject*>("modelFolderDialog");
    QVERIFY(picker);
    QTRY_VERIFY(picker->property("visible").toBool());
    QCOMPARE(picker->property("currentFolder").toUrl(), QUrl::fromLocalFile(copy.path()));
    QTRY_COMPARE(picker->property("selectedFolder").toUrl(), QUrl::fromLocalFile(spaced));
    QVERIFY(QMetaObject::invokeMethod(picker, "accept"));
    QCOMPARE(model->folder(), spaced);
    QVERIFY2(model->valid(), qPrintable(model->error()));
    QCOMPARE(field->property("text").toString(), spaced);
    QTRY_VERIFY(!picker);  // gone once closed

    // Opened again it starts at the new folder; cancelled, it changes nothing, though it had
    // a folder highlighted.
    QVERIFY(QDir(spaced).mkdir("notes"));
    QVERIFY(QMetaObject::invokeMethod(browse, "clicked"));
    picker = window->findChild<QObject*>("modelFolderDialog");
    QVERIFY(picker);
    QTRY_VERIFY(picker->property("visible").toBool());
    QCOMPARE(picker->property("currentFolder").toUrl(), QUrl::fromLocalFile(spaced));
    QTRY_COMPARE(picker->property("selectedFolder").toUrl(),
                 QUrl::fromLocalFile(spaced + "/notes"));
    QVERIFY(QMetaObject::invokeMethod(picker, "reject"));
    QCOMPARE(model->folder(), spaced);
    QCOMPARE(field->property("text").toString(), spaced);
    QTRY_VERIFY(!picker);
  }

  // The app's only engine thread, pointed at an endpoint: a load checks the model name, and a
  // reply streams from the server with its figures (experts: not available remotely).
  void theWorkerAnswersThroughTheEndpoint() {
    flint::testing::ServeProcess server(FLINT_TEST_CLI, {});
    QThread thread;
    auto* worker = new flint::ui::EngineWorker;
    worker->moveToThread(&thread);
    thread.start();
    QObject gui;
    QString loaded, failed, answer;
    bool residency = false;
    std::optional<flint::ui::ReplyOutcome> outcome;
    connect(worker, &flint::ui::EngineWorker::loaded, &gui,
            [&](quint64, const QString& key, qint64) { loaded = key; });
    connect(worker, &flint::ui::EngineWorker::loadFailed, &gui,
            [&](quint64, const QString& why, const QString&) { failed = why; });
    connect(worker, &flint::ui::EngineWorker::streamed, &gui, [&](const flint::ui::StreamBatch& b) {
      answer += b.answer;
      residency = residency || b.residency.has_value();
    });
    connect(worker, &flint::ui::EngineWorker::finished, &gui,
            [&](const flint::ui::ReplyOutcome& o) { outcome = o; });
    const auto load = [&](const std::string& model, quint64 ticket) {
      flint::ui::LoadRequest request;
      request.remote = flint::remote::RemoteEndpoint{server.url(), "", model};
      request.ticket = ticket;
      worker->wantLoad(ticket);
      QMetaObject::invokeMethod(worker, [worker, request] { worker->load(request); });
    };

    load("nope", 1);
    QTRY_VERIFY_WITH_TIMEOUT(!failed.isEmpty(), kTimeoutMs);
    QCOMPARE(failed, QStringLiteral("The endpoint could not be used: the endpoint serves "
                                    "flint-tiny, not 'nope'."));
    load("flint-tiny", 2);
    QTRY_VERIFY_WITH_TIMEOUT(!loaded.isEmpty(), kTimeoutMs);
    QCOMPARE(flint::ui::loadedModelName(loaded), QStringLiteral("flint-tiny"));

    flint::engine::GenerateRequest request;
    request.messages = {{flint::engine::ChatRole::kUser, "Hello?", ""}};
    request.sampling.temperature = 0;
    request.maxTokens = 24;
    QMetaObject::invokeMethod(worker, [worker, request] { worker->generate(request); });
    QTRY_VERIFY_WITH_TIMEOUT(outcome.has_value(), kTimeoutMs);
    QCOMPARE(outcome->error, QString());
    QVERIFY(!answer.isEmpty());
    QVERIFY(outcome->stats.generatedTokens > 0);
    QVERIFY(outcome->stats.decodeTokensPerSecond() > 0);
    QVERIFY(!outcome->stats.expertTiers);
    QVERIFY(!residency);
    QVERIFY(outcome->stats.speculating);  // from the server's /metrics

    thread.quit();
    thread.wait();
    delete worker;
  }

  // The bar follows the engine's own fraction, rising, and goes back to "unknown" when done.
  void aLoadReportsItsProgress() {
    QList<double> fractions;
    connect(&*chat_, &ChatController::loadPhaseChanged, this,
            [&] { fractions.append(chat_->loadFraction()); });
    loadTiny(*chat_);
    QCOMPARE(chat_->loadFraction(), -1.0);
    QList<double> measured;
    for (double f : fractions)
      if (f >= 0) measured.append(f);
    QVERIFY2(measured.size() >= 3, "the load reported fewer than three fractions");
    QVERIFY(std::is_sorted(measured.begin(), measured.end()));
    QCOMPARE(measured.last(), 1.0);
  }

  // Cancel stops a load that is running, inside Engine::load: no later progress, no model.
  void cancelInterruptsARunningLoad() {
    QThread thread;
    auto* worker = new flint::ui::EngineWorker;
    worker->moveToThread(&thread);
    thread.start();
    QObject gui;
    std::atomic<int> reportsAfterCancel{0};
    std::atomic<bool> cancelled{false};
    // Direct: runs on the worker's thread inside the load, the way a click lands mid-load.
    connect(
        worker, &flint::ui::EngineWorker::loadProgress, worker,
        [&, worker](quint64, const QString& stage, double) {
          if (cancelled) {
            ++reportsAfterCancel;
          } else if (stage.startsWith("Reading the weights")) {
            worker->wantLoad(0);
            cancelled = true;
          }
        },
        Qt::DirectConnection);
    bool abandoned = false, loaded = false;
    connect(worker, &flint::ui::EngineWorker::loadAbandoned, &gui,
            [&](quint64, const QString&) { abandoned = true; });
    connect(worker, &flint::ui::EngineWorker::loaded, &gui,
            [&](quint64, const QString&, qint64) { loaded = true; });
    flint::ui::LoadRequest request;
    request.modelDir = tinyDir();
    request.ticket = 7;
    worker->wantLoad(7);
    QMetaObject::invokeMethod(worker, [worker, request] { worker->load(request); });
    QTRY_VERIFY_WITH_TIMEOUT(abandoned, kTimeoutMs);
    QVERIFY(cancelled);
    QVERIFY(!loaded);
    QCOMPARE(reportsAfterCancel.load(), 0);
    thread.quit();
    thread.wait();
    delete worker;
  }

 private:
  void testConnection() {
    panel_->testConnection();
    QVERIFY(panel_->testingConnection());
    QTRY_VERIFY_WITH_TIMEOUT(!panel_->testingConnection(), kTimeoutMs);
  }

  QTemporaryDir dir_;
  QString dbPath_;
  std::optional<ChatController> chat_;
  std::optional<ModelPanelModel> panel_;
};

QTEST_MAIN(ModelPanelTest)
#include "test_model_panel.moc"
