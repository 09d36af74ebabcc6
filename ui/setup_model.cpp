#include "ui/setup_model.h"

#include "app/setup/model_locator.h"
#include "engine/logging/log.h"

#include <memory>

namespace flint::ui {

SetupModel::SetupModel(QObject* parent)
    : QObject(parent),
      machine_(app::collectSystemReport()),
      file_(app::workstationFile()),
      needed_(!app::setupDone(file_)) {
  machineText_ = tr("%1, %2 threads, %3 of RAM (%4 free)")
                     .arg(QString::fromStdString(machine_.cpuModel))
                     .arg(machine_.logicalCores)
                     .arg(QString::fromStdString(app::formatBytes(machine_.memory.totalBytes)),
                          QString::fromStdString(app::formatBytes(machine_.memory.availableBytes)));
  if (machine_.gpu.usable)
    for (const auto& d : machine_.gpu.devices)
      machineText_ += tr(", GPU %1 (%2)")
                          .arg(QString::fromStdString(d.name),
                               QString::fromStdString(app::formatBytes(d.totalBytes)));
  else
    machineText_ += tr(", no usable GPU");
  // Only when the dialog will show: the search walks a few folders.
  if (needed_) {
    const auto found = app::findModelFolders(app::modelSearchRoots());
    if (!found.empty()) folder_ = QString::fromStdString(found.front().string());
  }
}

SetupModel::~SetupModel() {
  if (worker_) worker_->wait();
}

void SetupModel::setFolder(const QString& folder) {
  if (folder == folder_) return;
  folder_ = folder;
  plan_.reset();
  verdictText_.clear();
  planText_.clear();
  emit folderChanged();
  emit checked();
}

void SetupModel::check() {
  if (worker_ || folder_.trimmed().isEmpty()) return;
  auto outcome = std::make_shared<std::optional<app::SetupOutcome>>();
  auto error = std::make_shared<QString>();
  worker_ =
      QThread::create([dir = folder_.trimmed().toStdString(), machine = machine_, outcome, error] {
        try {
          *outcome = app::setUpWorkstation(dir, machine);
        } catch (const std::exception& e) {
          *error = QString::fromUtf8(e.what());
        }
      });
  connect(worker_, &QThread::finished, this, [this, outcome, error] {
    worker_->deleteLater();
    worker_ = nullptr;
    if (*outcome) {
      verdictText_ = QString::fromStdString((*outcome)->verification.verdict());
      plan_ = (*outcome)->plan;
      planText_ = plan_ ? QString::fromStdString(plan_->explanation) : QString();
    } else {
      verdictText_ = tr("The folder could not be checked: %1").arg(*error);
    }
    emit checked();
  });
  verdictText_ = tr("Checking the folder and measuring this machine…");
  planText_.clear();
  plan_.reset();
  emit checked();
  worker_->start();
}

QString SetupModel::save() {
  if (!canSave()) return {};
  try {
    app::saveWorkstationPlan(*plan_, file_);
  } catch (const std::exception& e) {
    verdictText_ = tr("The plan could not be saved: %1").arg(QString::fromUtf8(e.what()));
    emit checked();
    return {};
  }
  needed_ = false;
  emit neededChanged();
  return QString::fromStdString(plan_->modelDir.string());
}

void SetupModel::skip() {
  try {
    app::markSetupSkipped(file_);
  } catch (const std::exception& e) {
    log::logger("ui")->warn("could not remember that setup was skipped: {}", e.what());
  }
  needed_ = false;
  emit neededChanged();
}

}  // namespace flint::ui
