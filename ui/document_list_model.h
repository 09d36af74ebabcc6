#pragma once
// The documents attached to the open conversation, for the chips above the composer. add()
// imports a file on a thread of its own (runDocumentImport) with progress and cancel, and
// stores it with its chunks in the chat's database; remove() deletes one. The model's
// tokenizer, loaded on that thread once per model folder, also counts what each document
// costs in the prompt (its delimited block) and is lent to the ChatController, which builds
// the prompt that carries the documents.
#include "app/store/database.h"
#include "app/store/documents.h"
#include "engine/tokenizer/tokenizer.h"

#include <QtQml/qqmlregistration.h>
#include <QAbstractListModel>
#include <QHash>
#include <QString>
#include <QStringList>
#include <QThread>
#include <QUrl>
#include <QVariantList>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

namespace flint::ui {

class DocumentListModel : public QAbstractListModel {
  Q_OBJECT
  QML_ELEMENT
  // Inputs (the ChatController sets them on the model it owns).
  Q_PROPERTY(
      QString databasePath READ databasePath WRITE setDatabasePath NOTIFY databasePathChanged)
  Q_PROPERTY(QString modelDir READ modelDir WRITE setModelDir NOTIFY modelDirChanged)
  Q_PROPERTY(qint64 conversationId READ conversationId WRITE setConversationId NOTIFY
                 conversationIdChanged)
  // An import in progress: the file's name and the share done, 0 to 1.
  Q_PROPERTY(bool importing READ importing NOTIFY importChanged)
  Q_PROPERTY(QString importingName READ importingName NOTIFY importChanged)
  Q_PROPERTY(double progress READ progress NOTIFY progressChanged)
  Q_PROPERTY(int count READ count NOTIFY documentsChanged)
  // What the documents take in the prompt, in tokens (0 until the tokenizer is read).
  Q_PROPERTY(int documentTokens READ documentTokens NOTIFY documentsChanged)
  Q_PROPERTY(QString error READ error NOTIFY errorChanged)

 public:
  enum Role {
    DocumentIdRole = Qt::UserRole + 1,
    NameRole,
    FormatRole,    // the MIME type
    ByteSizeRole,  // bytes
    SizeTextRole,  // "12 KB"
    TokenCountRole,
    // "" while the file on disk still holds what was attached; else a sentence. The attached
    // copy is what the chat uses either way.
    StaleRole,
  };
  Q_ENUM(Role)

  explicit DocumentListModel(QObject* parent = nullptr);
  ~DocumentListModel() override;

  int rowCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role) const override;
  QHash<int, QByteArray> roleNames() const override;

  QString databasePath() const { return databasePath_; }
  void setDatabasePath(const QString& path);
  QString modelDir() const { return modelDir_; }
  void setModelDir(const QString& dir);
  qint64 conversationId() const { return conversationId_; }
  void setConversationId(qint64 id);
  bool importing() const { return !importFile_.isEmpty(); }
  QString importingName() const;
  double progress() const { return progress_; }
  int count() const { return int(rows_.size()); }
  int documentTokens() const { return documentTokens_; }
  QString error() const { return error_; }

  // The model's tokenizer once read (none before), and its maximum context.
  std::shared_ptr<const flint::engine::Tokenizer> tokenizer() const { return tokenizer_; }
  std::int64_t contextLength() const { return contextLength_; }
  // Why the tokenizer could not be read (a sentence); empty while it loads or once it has.
  QString tokenizerError() const { return tokenizerError_; }

  // A path or a file:// URL (as a drop gives it). Without a conversation, conversationNeeded
  // asks for one first; one import runs at a time.
  Q_INVOKABLE void add(const QString& pathOrUrl);
  // Each of a drop's URLs, one after the other.
  Q_INVOKABLE void addUrls(const QList<QUrl>& urls);
  Q_INVOKABLE void cancel();
  Q_INVOKABLE void remove(qint64 documentId);
  Q_INVOKABLE void refresh();

 signals:
  void databasePathChanged();
  void modelDirChanged();
  void conversationIdChanged();
  void importChanged();
  void progressChanged();
  void documentsChanged();
  void errorChanged();
  // No conversation is open: the owner creates one (titled) and sets conversationId.
  void conversationNeeded(const QString& title);
  // An import ended: stored (documentId > 0), refused (error) or cancelled (0, no error).
  void importFinished(qint64 documentId);
  // The attached files on disk were compared with their copies (see StaleRole).
  void filesChecked();

 private:
  // Starts the next job: the waiting file's import, or reading a new model's tokenizer.
  void startNext();
  void setProgress(double progress);
  void setError(const QString& error);
  void recount();
  // Compares each attached file on disk with what was attached, on a thread of its own.
  void checkFiles();
  flint::store::Database* database();

  QString databasePath_;
  QString modelDir_;
  qint64 conversationId_ = 0;
  std::vector<flint::store::Document> rows_;  // without their content
  int documentTokens_ = 0;
  QString error_;
  double progress_ = 0;

  std::shared_ptr<const flint::engine::Tokenizer> tokenizer_;
  QString tokenizerDir_;  // the folder tokenizer_ was read from
  std::int64_t contextLength_ = 0;
  QString tokenizerError_;
  QStringList waiting_;  // files asked for while another job ran
  QString importFile_;   // the file the running job imports; empty: none, or only the tokenizer
  QThread* importer_ = nullptr;
  std::atomic<bool> cancel_{false};
  std::optional<flint::store::Database> db_;  // this thread's connection to databasePath_
  QHash<qint64, QString> stale_;              // by document id
  QThread* checker_ = nullptr;
  bool checkAgain_ = false;  // the rows changed while a check ran
};

}  // namespace flint::ui
