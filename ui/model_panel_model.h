#pragma once
// The model panel's view-model: a model folder checked as the user types it (its headers only),
// the memory plan for it on this machine, and the actions (load, cancel the load, set the
// routed experts' host budget) handed to the ChatController, which owns the engine.
#include "ui/chat_controller.h"
#include "ui/model_memory.h"

#include <QtQml/qqmlregistration.h>
#include <QObject>
#include <QPointer>
#include <QString>

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

 public:
  explicit ModelPanelModel(QObject* parent = nullptr);

  ChatController* chat() const { return chat_; }
  void setChat(ChatController* chat);
  QString folder() const { return folder_; }
  void setFolder(const QString& folder);
  bool valid() const { return memory_.has_value(); }
  QString error() const { return error_; }
  QString planText() const;
  qint64 routedExpertBytes() const;
  qint64 plannedExpertBytes() const;

  // Loads the folder when it is valid (the chat keeps its model until the new one is ready).
  Q_INVOKABLE void load();
  Q_INVOKABLE void cancel();
  // Saves the host budget for the routed experts (0: the plan) and reloads the model.
  Q_INVOKABLE void applyBudget(qint64 bytes);
  // Reads the folder again (after the files changed).
  Q_INVOKABLE void inspect();
  Q_INVOKABLE QString formatBytes(qint64 bytes) const;

 signals:
  void chatChanged();
  void folderChanged();
  void inspected();

 private:
  std::optional<std::uint64_t> budget() const;

  QPointer<ChatController> chat_;
  QString folder_;
  std::optional<ModelMemory> memory_;
  QString error_;
};

}  // namespace flint::ui
