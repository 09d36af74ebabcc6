#pragma once
// The model panel's view-model: a model folder checked as the user types it (its headers only),
// the memory plan for it on this machine, and the actions (load, cancel the load, set the
// routed experts' host budget) handed to the ChatController, which owns the engine. Or, as the
// other kind of model entry, an OpenAI-compatible endpoint: its URL, API key (kept in the
// settings table, in plain text) and model name, a "Test connection" that lists the endpoint's
// models in words (on a thread of its own: a dead host takes seconds to time out), and the
// switch that makes the chat answer from there. Where a local model computes: the CPU, or the
// GPU (opt-in, offered only when the probe finds a usable device), and after a load where it
// does compute, with the device's memory plan.
#include "app/remote/remote_client.h"
#include "ui/chat_controller.h"
#include "ui/model_memory.h"

#include <QtQml/qqmlregistration.h>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QStringList>
#include <QThread>
#include <QUrl>

#include <optional>

namespace flint::ui {

class ModelPanelModel : public QObject {
  Q_OBJECT
  QML_ELEMENT
  Q_PROPERTY(flint::ui::ChatController* chat READ chat WRITE setChat NOTIFY chatChanged)
  // The bundled flint-tiny until the user picks another.
  Q_PROPERTY(QString folder READ folder WRITE setFolder NOTIFY folderChanged)
  // True when the folder holds a V4 checkpoint; else `error` says why in words.
  Q_PROPERTY(bool valid READ valid NOTIFY inspected)
  Q_PROPERTY(QString error READ error NOTIFY inspected)
  // What goes to RAM and what is read from disk, with the chat's budget (none: the plan).
  Q_PROPERTY(QString planText READ planText NOTIFY inspected)
  Q_PROPERTY(qint64 routedExpertBytes READ routedExpertBytes NOTIFY inspected)
  // The routed experts the machine's plan keeps in RAM (the budget slider's default).
  Q_PROPERTY(qint64 plannedExpertBytes READ plannedExpertBytes NOTIFY inspected)
  // The "Compute on" choice: the GPU is offered when the probe finds a usable device;
  // gpuNote names it, or says why there is none.
  Q_PROPERTY(bool gpuUsable READ gpuUsable CONSTANT)
  Q_PROPERTY(QString gpuNote READ gpuNote CONSTANT)
  Q_PROPERTY(bool computeOnGpu READ computeOnGpu NOTIFY computeChanged)
  // After a load: where the model computes and, on a GPU, the device memory plan in words.
  Q_PROPERTY(QString computeText READ computeText NOTIFY computeChanged)
  // The entry shown: false a model folder, true a remote endpoint.
  Q_PROPERTY(bool remote READ remote WRITE setRemote NOTIFY remoteChanged)
  Q_PROPERTY(QString remoteUrl READ remoteUrl WRITE setRemoteUrl NOTIFY remoteChanged)
  Q_PROPERTY(QString remoteApiKey READ remoteApiKey WRITE setRemoteApiKey NOTIFY remoteChanged)
  Q_PROPERTY(QString remoteModel READ remoteModel WRITE setRemoteModel NOTIFY remoteChanged)
  // The last connection test: running, its result in words, and the models the endpoint serves.
  Q_PROPERTY(bool testingConnection READ testingConnection NOTIFY connectionTested)
  Q_PROPERTY(bool connectionOk READ connectionOk NOTIFY connectionTested)
  Q_PROPERTY(QString connectionText READ connectionText NOTIFY connectionTested)
  Q_PROPERTY(QStringList remoteModels READ remoteModels NOTIFY connectionTested)

 public:
  explicit ModelPanelModel(QObject* parent = nullptr);
  ~ModelPanelModel() override;

  ChatController* chat() const { return chat_; }
  void setChat(ChatController* chat);
  QString folder() const { return folder_; }
  void setFolder(const QString& folder);
  bool valid() const { return memory_.has_value(); }
  QString error() const { return error_; }
  QString planText() const;
  qint64 routedExpertBytes() const;
  qint64 plannedExpertBytes() const;
  bool gpuUsable() const;
  QString gpuNote() const;
  bool computeOnGpu() const { return chat_ && chat_->computeOnGpu(); }
  QString computeText() const;
  bool remote() const { return remote_; }
  void setRemote(bool remote);
  QString remoteUrl() const { return remoteUrl_; }
  void setRemoteUrl(const QString& url);
  QString remoteApiKey() const { return remoteApiKey_; }
  void setRemoteApiKey(const QString& key);
  QString remoteModel() const { return remoteModel_; }
  void setRemoteModel(const QString& model);
  bool testingConnection() const { return tester_ != nullptr; }
  bool connectionOk() const { return connectionOk_; }
  QString connectionText() const { return connectionText_; }
  QStringList remoteModels() const { return remoteModels_; }

  // Loads the folder when it is valid (the chat keeps its model until the new one is ready).
  Q_INVOKABLE void load();
  Q_INVOKABLE void cancel();
  // Saves the host budget for the routed experts (0: the plan) and reloads the model.
  Q_INVOKABLE void applyBudget(qint64 bytes);
  // Saves where local models compute and reloads the model; the GPU only when it is usable.
  Q_INVOKABLE void chooseCompute(bool gpu);
  // Reads the folder again (after the files changed).
  Q_INVOKABLE void inspect();
  // The folder picker ("Browse…"): where it opens (the folder, or home when it is missing),
  // and its choice, set as a typed folder is. A URL that is not local is refused in `error`.
  Q_INVOKABLE QUrl browseStart() const;
  Q_INVOKABLE void chooseFolder(const QUrl& url);
  Q_INVOKABLE QString formatBytes(qint64 bytes) const;
  // Asks the endpoint for its models; the result comes with connectionTested(). A model name
  // left empty becomes the endpoint's first model.
  Q_INVOKABLE void testConnection();
  // Saves the endpoint (key included) and hands it to the chat, which answers from there
  // (ChatController::useRemote; the local model stays until the endpoint is checked).
  Q_INVOKABLE void useRemote();

 signals:
  void chatChanged();
  void folderChanged();
  void inspected();
  void computeChanged();
  void remoteChanged();
  void connectionTested();

 private:
  std::optional<std::uint64_t> budget() const;
  flint::remote::RemoteEndpoint endpoint() const;
  // The endpoint stored in the chat's database, shown when the panel opens.
  void readStoredEndpoint();
  void saveEndpoint(bool inUse);

  QPointer<ChatController> chat_;
  QString folder_;
  std::optional<ModelMemory> memory_;
  QString error_;
  bool remote_ = false;
  QString remoteUrl_;
  QString remoteApiKey_;
  QString remoteModel_;
  QThread* tester_ = nullptr;  // the connection test running; finished() brings its outcome
  bool connectionOk_ = false;
  QString connectionText_;
  QStringList remoteModels_;
};

}  // namespace flint::ui
