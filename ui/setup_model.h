#pragma once
// The workstation setup the app offers on first start: what this machine has, a model folder
// (found in the usual places or typed), its verification and the plan in words, then Save or
// "chat with flint-tiny for now". The checks read headers and measure bandwidth for a second or
// two, so they run on a thread of their own; the results come back to the GUI thread.
#include "app/setup/workstation_setup.h"

#include <QtQml/qqmlregistration.h>
#include <QObject>
#include <QString>
#include <QThread>

#include <optional>

namespace flint::ui {

class SetupModel : public QObject {
  Q_OBJECT
  QML_ELEMENT
  // True until a plan is saved or setup is skipped (the app opens the setup dialog then).
  Q_PROPERTY(bool needed READ needed NOTIFY neededChanged)
  Q_PROPERTY(QString machineText READ machineText CONSTANT)
  Q_PROPERTY(QString folder READ folder WRITE setFolder NOTIFY folderChanged)
  Q_PROPERTY(bool checking READ checking NOTIFY checked)
  // The verdict on the folder and, when it passed, the plan, in words.
  Q_PROPERTY(QString verdictText READ verdictText NOTIFY checked)
  Q_PROPERTY(QString planText READ planText NOTIFY checked)
  Q_PROPERTY(bool canSave READ canSave NOTIFY checked)

 public:
  explicit SetupModel(QObject* parent = nullptr);
  ~SetupModel() override;

  bool needed() const { return needed_; }
  QString machineText() const { return machineText_; }
  QString folder() const { return folder_; }
  void setFolder(const QString& folder);
  bool checking() const { return worker_ != nullptr; }
  QString verdictText() const { return verdictText_; }
  QString planText() const { return planText_; }
  bool canSave() const { return plan_.has_value() && plan_->fits; }

  // Verifies the folder and plans it (in the background; `checked` when done).
  Q_INVOKABLE void check();
  // Saves the plan; returns the folder to load, or an empty string when nothing was saved.
  Q_INVOKABLE QString save();
  // Chat with the bundled model for now; the dialog stops appearing at start.
  Q_INVOKABLE void skip();

 signals:
  void neededChanged();
  void folderChanged();
  void checked();

 private:
  app::SystemReport machine_;
  std::filesystem::path file_;
  bool needed_ = false;
  QString machineText_, folder_, verdictText_, planText_;
  std::optional<app::WorkstationPlan> plan_;
  QThread* worker_ = nullptr;
};

}  // namespace flint::ui
