#pragma once
// The sidebar's list: the conversations grouped by date (pinned first, then Today, Yesterday,
// Previous 7 days, Older), or, while the search box holds words, the messages that match them
// with a snippet whose matched words are bold. Renames, pins and deletes with the store's undo
// window. It owns its own ConversationService connection (SQLite WAL lets the chat controller
// hold another one to the same file) and lives on the GUI thread.
#include "app/store/conversation_service.h"

#include <QtQml/qqmlregistration.h>
#include <QAbstractListModel>
#include <QDateTime>
#include <QQmlParserStatus>
#include <QString>

#include <memory>
#include <vector>

namespace flint::ui {

class ConversationListModel : public QAbstractListModel, public QQmlParserStatus {
  Q_OBJECT
  QML_ELEMENT
  Q_INTERFACES(QQmlParserStatus)
  // The SQLite file; by default (or set empty) the one the app and flint-cli share.
  Q_PROPERTY(
      QString databasePath READ databasePath WRITE setDatabasePath NOTIFY databasePathChanged)
  // The conversation the chat shows: its row stays highlighted.
  Q_PROPERTY(qint64 currentConversationId READ currentConversationId WRITE setCurrentConversationId
                 NOTIFY currentConversationIdChanged)
  Q_PROPERTY(QString searchText READ searchText NOTIFY searchTextChanged)
  Q_PROPERTY(bool searching READ searching NOTIFY searchTextChanged)
  Q_PROPERTY(int count READ count NOTIFY countChanged)
  // How long "Undo" can bring a deleted conversation back.
  Q_PROPERTY(int undoSeconds READ undoSeconds CONSTANT)
  // The last failure, a sentence fit to show; empty after a success.
  Q_PROPERTY(QString errorMessage READ errorMessage NOTIFY errorMessageChanged)

 public:
  enum Role {
    ConversationIdRole = Qt::UserRole + 1,
    TitleRole,
    PinnedRole,
    SectionRole,    // "Pinned", "Today", "Yesterday", "Previous 7 days", "Older"; "" for hits
    UpdatedAtRole,  // QDateTime; invalid for search hits
    SnippetRole,    // rich text, matches in <b>; "" for the plain list
    MessageIdRole,  // the matching message; 0 for the plain list
  };
  Q_ENUM(Role)

  explicit ConversationListModel(QObject* parent = nullptr);
  ~ConversationListModel() override;

  int rowCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role) const override;
  QHash<int, QByteArray> roleNames() const override;

  QString databasePath() const { return m_databasePath; }
  void setDatabasePath(const QString& path);
  qint64 currentConversationId() const { return m_currentConversationId; }
  void setCurrentConversationId(qint64 id);
  QString searchText() const { return m_searchText; }
  bool searching() const { return !m_searchText.trimmed().isEmpty(); }
  int count() const { return int(m_rows.size()); }
  int undoSeconds() const;
  QString errorMessage() const { return m_errorMessage; }

  // Reads the list (or the search results) again from the store.
  Q_INVOKABLE void refresh();
  // Shows the messages matching `text`; empty text shows the plain list again.
  Q_INVOKABLE void setSearch(const QString& text);
  Q_INVOKABLE void rename(qint64 conversationId, const QString& title);
  Q_INVOKABLE void setPinned(qint64 conversationId, bool pinned);
  // Hides the conversation; `removed` tells the QML to offer "Undo" for undoSeconds.
  Q_INVOKABLE void remove(qint64 conversationId);
  Q_INVOKABLE void undoRemove(qint64 conversationId);
  // The user picked a conversation: it becomes current and `selected` is emitted.
  Q_INVOKABLE void select(qint64 conversationId);

  void classBegin() override;
  void componentComplete() override;

 signals:
  void databasePathChanged();
  void currentConversationIdChanged();
  void searchTextChanged();
  void countChanged();
  void errorMessageChanged();
  void removed(qint64 conversationId, const QString& title);
  void selected(qint64 conversationId);

 private:
  struct Row {
    qint64 conversationId = 0;
    QString title;
    bool pinned = false;
    QString section;
    QDateTime updatedAt;
    QString snippet;
    qint64 messageId = 0;
    bool operator==(const Row&) const = default;
  };

  std::vector<Row> readRows();
  void replaceRows(std::vector<Row> rows);
  QString titleOf(qint64 conversationId) const;
  // Runs one store call; a failure is logged and becomes errorMessage. True on success.
  template <typename Call>
  bool attempt(const char* doing, Call&& call);
  void setErrorMessage(const QString& message);

  QString m_databasePath;
  std::unique_ptr<flint::store::ConversationService> m_service;  // opened on first use
  bool m_componentComplete = true;  // false while QML is still setting the properties
  qint64 m_currentConversationId = 0;
  QString m_searchText;
  QString m_errorMessage;
  std::vector<Row> m_rows;
};

}  // namespace flint::ui
