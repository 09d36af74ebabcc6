#include "ui/model_panel_model.h"

#include "app/paths.h"
#include "app/remote/remote_settings.h"
#include "app/store/database.h"
#include "app/system/system_report.h"
#include "engine/backend/cuda_module.h"
#include "engine/logging/log.h"
#include "ui/engine_worker.h"
#include "ui/local_path.h"

#include <QDir>

#include <exception>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace flint::ui {

namespace {

// The probe dlopens the CUDA module; one answer serves every panel of the process.
const engine::CudaProbeResult& cudaProbe() {
  static const engine::CudaProbeResult probe = engine::probeCuda();
  return probe;
}

// What a connection test brings back from its thread.
struct ConnectionOutcome {
  std::vector<flint::remote::RemoteModel> models;
  QString error;
};

}  // namespace

ModelPanelModel::ModelPanelModel(QObject* parent)
    : QObject(parent), folder_(QString::fromStdString(app::defaultModelDir().string())) {
  inspect();
}

// A test still running holds only its own copies; waiting bounds it by the client's timeouts.
ModelPanelModel::~ModelPanelModel() {
  if (!tester_) return;
  tester_->wait();
  delete tester_;
}

void ModelPanelModel::setChat(ChatController* chat) {
  if (chat == chat_) return;
  if (chat_) disconnect(chat_, nullptr, this, nullptr);
  chat_ = chat;
  // The plan text shows the budget the chat loads with.
  if (chat_) {
    connect(chat_, &ChatController::hostExpertBudgetChanged, this, &ModelPanelModel::inspected);
    connect(chat_, &ChatController::computeChanged, this, &ModelPanelModel::computeChanged);
    connect(chat_, &ChatController::computeChanged, this, &ModelPanelModel::inspected);
    connect(chat_, &ChatController::databasePathChanged, this,
            &ModelPanelModel::readStoredEndpoint);
  }
  emit chatChanged();
  emit inspected();
  emit computeChanged();
  readStoredEndpoint();
}

void ModelPanelModel::setFolder(const QString& folder) {
  if (folder == folder_) return;
  folder_ = folder;
  emit folderChanged();
  inspect();
}

void ModelPanelModel::inspect() {
  memory_.reset();
  error_.clear();
  const std::filesystem::path dir = QDir::cleanPath(folder_.trimmed()).toStdString();
  try {
    if (folder_.trimmed().isEmpty())
      error_ = tr("Choose the folder of a DeepSeek-V4 model.");
    else if (!std::filesystem::is_directory(dir))
      error_ = tr("The folder %1 does not exist.").arg(folder_);
    else
      memory_ = planModelMemory(dir);
  } catch (const std::exception& e) {
    flint::log::logger("ui")->warn("{} is not a usable model: {}", dir.string(), e.what());
    error_ = tr("This folder is not a DeepSeek-V4 checkpoint: %1.").arg(errorClause(e));
  }
  emit inspected();
}

QUrl ModelPanelModel::browseStart() const {
  return folderUrlOrHome(folder_);
}

void ModelPanelModel::chooseFolder(const QUrl& url) {
  const LocalPath chosen = localPathFromUrl(url);
  if (chosen.error.isEmpty()) {
    setFolder(chosen.path);
    return;
  }
  error_ = chosen.error;
  emit inspected();
}

std::optional<std::uint64_t> ModelPanelModel::budget() const {
  if (!chat_ || chat_->hostExpertBudget() <= 0) return std::nullopt;
  return std::uint64_t(chat_->hostExpertBudget());
}

QString ModelPanelModel::planText() const {
  if (!memory_) return {};
  return QString::fromStdString(describeMemory(
      *memory_, budget(), chat_ ? chat_->computeDevice() : engine::ComputeDevice::Cpu));
}

qint64 ModelPanelModel::routedExpertBytes() const {
  return memory_ ? qint64(memory_->census.routedExpertBytes) : 0;
}

qint64 ModelPanelModel::plannedExpertBytes() const {
  return memory_ ? qint64(memory_->plan.hostExpertBytes) : 0;
}

bool ModelPanelModel::gpuUsable() const {
  return cudaProbe().usable && !cudaProbe().devices.empty();
}

QString ModelPanelModel::gpuNote() const {
  if (!gpuUsable()) {
    QString reason = QString::fromStdString(cudaProbe().reason);
    while (reason.endsWith(QLatin1Char('.'))) reason.chop(1);
    return tr("No usable GPU: %1.").arg(reason.isEmpty() ? tr("none was found") : reason);
  }
  const engine::CudaDeviceInfo& device = cudaProbe().devices.front();
  return tr("%1 with %2. The GPU is opt-in until its results are measured against the CPU's.")
      .arg(QString::fromStdString(device.name),
           QString::fromStdString(app::formatBytes(device.totalBytes)));
}

QString ModelPanelModel::computeText() const {
  if (!chat_ || chat_->computeDescription().isEmpty()) return {};
  QString text = tr("Computes on %1.").arg(chat_->computeDescription());
  if (!chat_->devicePlan().isEmpty()) text += QLatin1Char('\n') + chat_->devicePlan();
  return text;
}

void ModelPanelModel::chooseCompute(bool gpu) {
  if (!chat_ || (gpu && !gpuUsable())) return;
  chat_->setComputeOnGpu(gpu);
}

void ModelPanelModel::load() {
  if (chat_ && memory_) chat_->loadModel(QDir::cleanPath(folder_.trimmed()));
}

void ModelPanelModel::cancel() {
  if (chat_) chat_->cancelLoad();
}

void ModelPanelModel::applyBudget(qint64 bytes) {
  if (chat_) chat_->setHostExpertBudget(bytes);
}

QString ModelPanelModel::formatBytes(qint64 bytes) const {
  return QString::fromStdString(app::formatBytes(bytes > 0 ? (unsigned long long)(bytes) : 0));
}

void ModelPanelModel::setRemote(bool remote) {
  if (remote == remote_) return;
  remote_ = remote;
  emit remoteChanged();
}

void ModelPanelModel::setRemoteUrl(const QString& url) {
  if (url == remoteUrl_) return;
  remoteUrl_ = url;
  emit remoteChanged();
}

void ModelPanelModel::setRemoteApiKey(const QString& key) {
  if (key == remoteApiKey_) return;
  remoteApiKey_ = key;
  emit remoteChanged();
}

void ModelPanelModel::setRemoteModel(const QString& model) {
  if (model == remoteModel_) return;
  remoteModel_ = model;
  emit remoteChanged();
}

flint::remote::RemoteEndpoint ModelPanelModel::endpoint() const {
  flint::remote::RemoteEndpoint e;
  e.url = remoteUrl_.trimmed().toStdString();
  e.apiKey = remoteApiKey_.trimmed().toStdString();
  e.model = remoteModel_.trimmed().toStdString();
  return e;
}

void ModelPanelModel::readStoredEndpoint() {
  if (!chat_ || chat_->databasePath().isEmpty()) return;
  try {
    auto db = flint::store::Database::open(chat_->databasePath().toStdString(),
                                           flint::store::secondaryConnection());
    const auto stored = flint::remote::loadEndpoint(db);
    if (!stored) return;
    remoteUrl_ = QString::fromStdString(stored->endpoint.url);
    remoteApiKey_ = QString::fromStdString(stored->endpoint.apiKey);
    remoteModel_ = QString::fromStdString(stored->endpoint.model);
    remote_ = stored->inUse;
    emit remoteChanged();
  } catch (const std::exception& e) {
    flint::log::logger("ui")->warn("could not read the stored endpoint: {}", e.what());
  }
}

void ModelPanelModel::saveEndpoint(bool inUse) {
  if (!chat_ || chat_->databasePath().isEmpty()) return;
  try {
    auto db = flint::store::Database::open(chat_->databasePath().toStdString(),
                                           flint::store::secondaryConnection());
    flint::remote::StoredEndpoint stored;
    stored.endpoint = endpoint();
    stored.inUse = inUse;
    flint::remote::saveEndpoint(db, stored);
  } catch (const std::exception& e) {
    flint::log::logger("ui")->error("could not save the endpoint: {}", e.what());
    connectionText_ = tr("The endpoint could not be saved: %1.").arg(errorClause(e));
    emit connectionTested();
  }
}

void ModelPanelModel::testConnection() {
  if (tester_) return;
  auto outcome = std::make_shared<ConnectionOutcome>();
  tester_ = QThread::create([e = endpoint(), outcome] {
    try {
      outcome->models = flint::remote::RemoteClient(e).models();
    } catch (const std::exception& ex) {
      outcome->error = QString::fromUtf8(ex.what());
    }
  });
  connect(tester_, &QThread::finished, this, [this, outcome] {
    tester_->deleteLater();
    tester_ = nullptr;
    remoteModels_.clear();
    for (const auto& m : outcome->models) remoteModels_.append(QString::fromStdString(m.id));
    connectionOk_ = outcome->error.isEmpty() && !remoteModels_.isEmpty();
    if (!outcome->error.isEmpty()) {
      connectionText_ = outcome->error;
    } else if (remoteModels_.isEmpty()) {
      connectionText_ = tr("The endpoint answers but serves no model.");
    } else {
      if (remoteModel_.trimmed().isEmpty()) setRemoteModel(remoteModels_.first());
      connectionText_ = remoteModels_.contains(remoteModel_.trimmed())
                            ? tr("Connected: the endpoint serves %1.")
                                  .arg(remoteModels_.join(QStringLiteral(", ")))
                            : tr("Connected, but the endpoint serves %1, not “%2”.")
                                  .arg(remoteModels_.join(QStringLiteral(", ")), remoteModel_);
      connectionOk_ = remoteModels_.contains(remoteModel_.trimmed());
    }
    emit connectionTested();
  });
  connectionText_ = tr("Connecting…");
  emit connectionTested();
  tester_->start();
}

void ModelPanelModel::useRemote() {
  saveEndpoint(true);
  if (!chat_) return;
  const bool handed = QMetaObject::invokeMethod(
      chat_, "useRemote", Q_ARG(QString, remoteUrl_.trimmed()),
      Q_ARG(QString, remoteApiKey_.trimmed()), Q_ARG(QString, remoteModel_.trimmed()));
  if (!handed) {
    connectionText_ = tr("The endpoint is saved, but this chat cannot switch to it.");
    emit connectionTested();
  }
}

}  // namespace flint::ui
