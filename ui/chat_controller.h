#pragma once
// The chat's view-model: the QML chat column binds to it. On the GUI thread it stores each
// question and the growing reply through the ConversationService, fills the MessageModel and
// the StatsModel, and hands generation to an EngineWorker on its own thread, whose batches
// come back as queued signals. Branches (regenerate, edit and resend) live in the store; the
// model always shows the branch the store says is shown.
#include "app/store/conversation_service.h"
#include "ui/document_list_model.h"
#include "ui/engine_worker.h"
#include "ui/message_model.h"
#include "ui/stats_model.h"

#include <QtQml/qqmlregistration.h>
#include <QElapsedTimer>
#include <QObject>
#include <QQmlParserStatus>
#include <QString>
#include <QThread>

#include <cstdint>
#include <optional>

namespace flint::ui {

class ChatController : public QObject, public QQmlParserStatus {
  Q_OBJECT
  QML_ELEMENT
  Q_INTERFACES(QQmlParserStatus)
  // Empty until set: on completion the user's database and the bundled model are used.
  Q_PROPERTY(
      QString databasePath READ databasePath WRITE setDatabasePath NOTIFY databasePathChanged)
  Q_PROPERTY(QString modelDir READ modelDir WRITE setModelDir NOTIFY modelDirChanged)
  Q_PROPERTY(qint64 conversationId READ conversationId NOTIFY conversationIdChanged)
  Q_PROPERTY(QString mode READ mode WRITE setMode NOTIFY modeChanged)
  Q_PROPERTY(bool busy READ busy NOTIFY busyChanged)
  // "idle", "loading", "ready" or "failed".
  Q_PROPERTY(QString modelStatus READ modelStatus NOTIFY modelStatusChanged)
  Q_PROPERTY(QString modelName READ modelName NOTIFY modelStatusChanged)
  // What a load is doing now, in words (empty when no load runs).
  Q_PROPERTY(QString loadPhase READ loadPhase NOTIFY loadPhaseChanged)
  // How much of the load is done, in [0, 1]; -1 while nothing measurable has been reported.
  Q_PROPERTY(double loadFraction READ loadFraction NOTIFY loadPhaseChanged)
  // Host memory for the routed experts, in bytes; 0: this machine's plan decides.
  Q_PROPERTY(qint64 hostExpertBudget READ hostExpertBudget NOTIFY hostExpertBudgetChanged)
  // The stored choice of where local models compute: false the CPU, true the GPU (opt-in).
  Q_PROPERTY(bool computeOnGpu READ computeOnGpu NOTIFY computeChanged)
  // Where the loaded model computes, in words ("CPU (avx512, 16 threads)"); empty for none or an
  // endpoint. devicePlan: the device memory plan's explanation when it computes on a GPU.
  Q_PROPERTY(QString computeDescription READ computeDescription NOTIFY computeChanged)
  Q_PROPERTY(QString devicePlan READ devicePlan NOTIFY computeChanged)
  Q_PROPERTY(QString error READ error NOTIFY errorChanged)
  Q_PROPERTY(flint::ui::MessageModel* messages READ messages CONSTANT)
  Q_PROPERTY(flint::ui::StatsModel* stats READ stats CONSTANT)
  // The documents attached to the open conversation; its questions carry them.
  Q_PROPERTY(flint::ui::DocumentListModel* documents READ documents CONSTANT)
  // Above the last answer: the passages it was given when the documents did not fit whole.
  Q_PROPERTY(QString documentNote READ documentNote NOTIFY documentNoteChanged)
  // While a long prompt (documents) is read before the reply: "Reading 1200 of 3000 tokens,
  // about 2 s left"; empty otherwise. Stop cancels the reading too.
  Q_PROPERTY(QString reading READ reading NOTIFY readingChanged)
  // The local server: where it answers other programs ("" when off), or why it could not.
  Q_PROPERTY(QString serverUrl READ serverUrl NOTIFY servingChanged)
  Q_PROPERTY(QString serverError READ serverError NOTIFY servingChanged)

 public:
  explicit ChatController(QObject* parent = nullptr);
  ~ChatController() override;

  void classBegin() override {}
  void componentComplete() override;

  QString databasePath() const { return databasePath_; }
  void setDatabasePath(const QString& path);
  QString modelDir() const { return modelDir_; }
  void setModelDir(const QString& dir);
  qint64 conversationId() const { return conversationId_; }
  QString mode() const { return mode_; }
  bool busy() const { return busy_; }
  QString modelStatus() const { return modelStatus_; }
  QString modelName() const { return modelName_; }
  QString loadPhase() const { return loadPhase_; }
  double loadFraction() const { return loadFraction_; }
  qint64 hostExpertBudget() const { return hostExpertBudget_; }
  bool computeOnGpu() const { return computeOnGpu_; }
  flint::engine::ComputeDevice computeDevice() const {
    return computeOnGpu_ ? flint::engine::ComputeDevice::Cuda : flint::engine::ComputeDevice::Cpu;
  }
  QString computeDescription() const { return computeDescription_; }
  QString devicePlan() const { return devicePlan_; }
  QString error() const { return error_; }
  MessageModel* messages() const { return messages_; }
  StatsModel* stats() const { return stats_; }
  DocumentListModel* documents() const { return documents_; }
  QString documentNote() const { return documentNote_; }
  QString reading() const { return reading_; }
  QString serverUrl() const { return serverUrl_; }
  QString serverError() const { return serverError_; }
  // Serves the loaded model to other programs on 127.0.0.1:port (OpenAI-compatible; 0: any
  // free port), with an optional API key; it follows the model through reloads. Off stops it.
  Q_INVOKABLE void setServing(bool on, int port = 8080, const QString& apiKey = {});

  // Shows a stored conversation.
  Q_INVOKABLE void open(qint64 conversationId);
  // A blank chat; the conversation is created (and titled) by its first message.
  Q_INVOKABLE void newConversation();
  Q_INVOKABLE void send(const QString& text);
  Q_INVOKABLE void stop();
  // A new reply beside an assistant message (a new branch).
  Q_INVOKABLE void regenerate(qint64 messageId);
  // A user message edited into a new branch, and a reply to it.
  Q_INVOKABLE void editAndResend(qint64 messageId, const QString& text);
  // Shows the previous (-1) or next (+1) sibling of a shown message.
  Q_INVOKABLE void showSibling(qint64 messageId, int step);
  // "non-think", "high" or "max": stored on the conversation, used by its next replies.
  Q_INVOKABLE void setMode(const QString& mode);
  Q_INVOKABLE void copyToClipboard(const QString& text);
  // Loads a model folder (again, when it is the current one); the model before it stays in
  // use until the new one is ready, and stays when the load fails.
  Q_INVOKABLE void loadModel(const QString& dir);
  // Abandons the load in progress: the previous model stays (the engine cannot stop a load
  // midway, so it finishes in the background and is dropped).
  Q_INVOKABLE void cancelLoad();
  // Saves the routed experts' host budget (0: the machine's plan) and reloads the model.
  Q_INVOKABLE void setHostExpertBudget(qint64 bytes);
  // Saves where local models compute (true: the GPU) and reloads the model when it changed.
  Q_INVOKABLE void setComputeOnGpu(bool gpu);
  // Chats with an OpenAI-compatible endpoint instead of a model folder (the model panel's
  // remote entry). Like a load: the model in use stays until the endpoint's model list says
  // the model is there, and stays when it is not.
  Q_INVOKABLE void useRemote(const QString& url, const QString& apiKey, const QString& model);

 signals:
  void databasePathChanged();
  void modelDirChanged();
  void conversationIdChanged();
  void modeChanged();
  void busyChanged();
  void modelStatusChanged();
  void loadPhaseChanged();
  void hostExpertBudgetChanged();
  void computeChanged();
  void errorChanged();
  void documentNoteChanged();
  void readingChanged();
  void servingChanged();
  // A conversation was created or changed (the sidebar refreshes its list).
  void conversationsChanged();
  // A reply ended (done, stopped or failed).
  void replyFinished(qint64 messageId);

 private:
  void onLoading(quint64 ticket, const QString& dir);
  void onLoadProgress(quint64 ticket, const QString& stage, double fraction);
  void onLoaded(quint64 ticket, const QString& dir, qint64 contextMax, const QString& compute,
                const QString& devicePlan);
  void onLoadFailed(quint64 ticket, const QString& why, const QString& keptDir);
  void onLoadAbandoned(const QString& keptDir);
  // The status and folder of the model the worker kept (none: failed, or idle if none was).
  void showKeptModel(const QString& keptDir, const QString& noneStatus);
  // `fraction`: -1 while the load has not measured its progress.
  void setLoadPhase(const QString& phase, double fraction = -1);
  void setModelDirValue(const QString& dir);
  void readHostExpertBudget();
  void readComputeChoice();
  // A reload with the new budget or device, unless the model in use is an endpoint's.
  void reloadLocalModel();
  void onStreamed(const StreamBatch& batch);
  void onFinished(const ReplyOutcome& outcome);
  // Runs a store action; a failure becomes the error line.
  template <typename Action>
  bool attempt(const char* failure, Action&& action);
  bool readyToReply();
  void createConversation(const QString& firstMessage);
  flint::store::ReplyInfo replyInfo(const flint::engine::GenerateRequest& request) const;
  flint::engine::GenerateRequest requestSettings();
  void startReply(flint::store::StreamingReply reply, flint::engine::GenerateRequest request);
  void showConversation(std::int64_t conversationId);
  void setConversationId(std::int64_t id);
  void setModeValue(const QString& mode);
  void setBusy(bool busy);
  void setModelStatus(const QString& status, const QString& name);
  void setError(const QString& error);
  void setDocumentNote(const QString& note);
  void setReading(const QString& text);

  QString databasePath_;
  QString modelDir_;
  std::int64_t conversationId_ = 0;
  QString mode_ = QStringLiteral("non-think");
  bool busy_ = false;
  QString modelStatus_ = QStringLiteral("idle");
  QString modelName_;
  QString loadPhase_;
  double loadFraction_ = -1;
  QString loadedDir_;  // the folder of the model the worker holds; empty: none
  qint64 hostExpertBudget_ = 0;
  bool computeOnGpu_ = false;
  QString computeDescription_, devicePlan_;  // of the model the worker holds
  quint64 lastTicket_ = 0;
  quint64 pendingLoad_ = 0;  // the ticket of the load the user waits for; 0: none
  QString error_;
  MessageModel* messages_;
  StatsModel* stats_;
  DocumentListModel* documents_;
  QString documentNote_;
  QString reading_;
  bool startedRemote_ = false;
  QString serverUrl_, serverError_;  // the app started on the stored endpoint; it may fall back
  QElapsedTimer readingClock_;
  static constexpr std::size_t kReadingLineTokens = 512;

  // The service outlives the reply it writes (members are destroyed in reverse order).
  std::optional<flint::store::ConversationService> service_;
  std::optional<flint::store::StreamingReply> reply_;
  std::int64_t replyConversation_ = 0;
  QElapsedTimer replyClock_;
  bool replyThought_ = false;
  double thinkingSeconds_ = 0;

  QThread engineThread_;
  EngineWorker* worker_;  // lives on engineThread_; deleted after the thread ends
};

}  // namespace flint::ui
