#include "ui/model_panel_model.h"

#include "app/paths.h"
#include "app/system/system_report.h"
#include "engine/logging/log.h"
#include "ui/engine_worker.h"

#include <QDir>

#include <exception>
#include <filesystem>

namespace flint::ui {

ModelPanelModel::ModelPanelModel(QObject* parent)
    : QObject(parent), folder_(QString::fromStdString(app::defaultModelDir().string())) {
  inspect();
}

void ModelPanelModel::setChat(ChatController* chat) {
  if (chat == chat_) return;
  if (chat_) disconnect(chat_, nullptr, this, nullptr);
  chat_ = chat;
  // The plan text shows the budget the chat loads with.
  if (chat_)
    connect(chat_, &ChatController::hostExpertBudgetChanged, this, &ModelPanelModel::inspected);
  emit chatChanged();
  emit inspected();
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

std::optional<std::uint64_t> ModelPanelModel::budget() const {
  if (!chat_ || chat_->hostExpertBudget() <= 0) return std::nullopt;
  return std::uint64_t(chat_->hostExpertBudget());
}

QString ModelPanelModel::planText() const {
  if (!memory_) return {};
  return QString::fromStdString(describeMemory(*memory_, budget()));
}

qint64 ModelPanelModel::routedExpertBytes() const {
  return memory_ ? qint64(memory_->census.routedExpertBytes) : 0;
}

qint64 ModelPanelModel::plannedExpertBytes() const {
  return memory_ ? qint64(memory_->plan.hostExpertBytes) : 0;
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

}  // namespace flint::ui
