#pragma once
// The messages of the shown branch of one conversation, for the chat view. The ChatController
// fills it from the store and, while a reply streams, appends each batch to that one row
// (dataChanged on that row only). It changes only on the GUI thread.
#include "app/store/messages.h"

#include <QtQml/qqmlregistration.h>
#include <QAbstractListModel>
#include <QString>

#include <cstdint>
#include <vector>

namespace flint::ui {

class MessageModel : public QAbstractListModel {
  Q_OBJECT
  QML_ELEMENT
  QML_UNCREATABLE("MessageModel comes from a ChatController")

 public:
  enum Role {
    MessageIdRole = Qt::UserRole + 1,
    RoleRole,     // "user", "assistant", "system"
    ContentRole,  // Markdown
    ThinkingRole,
    ThinkingSecondsRole,  // how long the reply thought; 0 when unknown or not yet known
    StreamingRole,
    ModeRole,          // "non-think", "high", "max"; empty for user messages
    SiblingIndexRole,  // 1-based place among the message's siblings ("2/3")
    SiblingCountRole,
    StateRole,  // "streaming", "done", "interrupted", "error"
    ErrorRole,  // why, when the state is "error"
  };
  Q_ENUM(Role)

  explicit MessageModel(QObject* parent = nullptr);

  int rowCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role) const override;
  QHash<int, QByteArray> roleNames() const override;

  // Shows another branch (or conversation): a reset.
  void setBranch(const std::vector<flint::store::PathEntry>& branch);
  void clear();
  // Appends streamed text to a message's row; unknown ids are ignored.
  void appendText(std::int64_t messageId, const QString& thinking, const QString& answer);
  void setThinkingSeconds(std::int64_t messageId, double seconds);
  void setState(std::int64_t messageId, flint::store::MessageState state, const QString& error);
  // The row of a message, or -1.
  int rowOf(std::int64_t messageId) const;

 private:
  struct Row {
    std::int64_t id = 0;
    flint::store::Role role = flint::store::Role::User;
    QString content;
    QString thinking;
    double thinkingSeconds = 0;
    QString mode;
    int siblingIndex = 1;
    int siblingCount = 1;
    flint::store::MessageState state = flint::store::MessageState::Done;
    QString error;
    bool operator==(const Row&) const = default;
  };
  void changed(int row, const QList<int>& roles);
  static Row rowOf(const flint::store::PathEntry& entry);

  std::vector<Row> rows_;
};

}  // namespace flint::ui
