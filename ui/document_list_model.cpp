#include "ui/document_list_model.h"

#include "app/documents/document_import.h"
#include "app/documents/document_prompt.h"
#include "app/documents/file_fingerprint.h"
#include "engine/logging/log.h"
#include "ui/document_import_job.h"
#include "ui/engine_worker.h"
#include "ui/local_path.h"

#include <QFileInfo>

#include <algorithm>
#include <climits>
#include <exception>
#include <utility>

namespace flint::ui {

namespace {

QString fromUtf8(const std::string& text) {
  return QString::fromUtf8(text.data(), qsizetype(text.size()));
}

}  // namespace

DocumentListModel::DocumentListModel(QObject* parent) : QAbstractListModel(parent) {}

// The import thread reads this object's cancel flag: it must end first.
DocumentListModel::~DocumentListModel() {
  if (checker_) checker_->wait();
  if (!importer_) return;
  cancel_.store(true);
  importer_->wait();
  delete importer_;
}

int DocumentListModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : int(rows_.size());
}

QVariant DocumentListModel::data(const QModelIndex& index, int role) const {
  if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
    return {};
  const flint::store::Document& d = rows_[std::size_t(index.row())];
  switch (role) {
    case DocumentIdRole:
      return qint64(d.id);
    case Qt::DisplayRole:
    case NameRole:
      return fromUtf8(d.name);
    case FormatRole:
      return fromUtf8(d.mimeType);
    case ByteSizeRole:
      return qint64(d.byteSize);
    case SizeTextRole:
      return fromUtf8(flint::documents::describeBytes(std::uint64_t(d.byteSize)));
    case TokenCountRole:
      return qint64(d.tokenCount);
    case StaleRole:
      return stale_.value(d.id);
    default:
      return {};
  }
}

QHash<int, QByteArray> DocumentListModel::roleNames() const {
  return {{DocumentIdRole, "documentId"},
          {NameRole, "name"},
          {FormatRole, "format"},
          {ByteSizeRole, "byteSize"},
          {SizeTextRole, "sizeText"},
          {TokenCountRole, "tokenCount"},
          {StaleRole, "stale"}};
}

void DocumentListModel::setDatabasePath(const QString& path) {
  if (path == databasePath_) return;
  databasePath_ = path;
  db_.reset();
  // Opened now, at start, rather than inside the first send, where it held the GUI thread.
  database();
  emit databasePathChanged();
  refresh();
}

void DocumentListModel::setModelDir(const QString& dir) {
  if (dir == modelDir_) return;
  modelDir_ = dir;
  tokenizer_.reset();
  tokenizerDir_.clear();
  tokenizerError_.clear();
  contextLength_ = 0;
  emit modelDirChanged();
  recount();
  startNext();
}

void DocumentListModel::setConversationId(qint64 id) {
  if (id == conversationId_) return;
  conversationId_ = id;
  emit conversationIdChanged();
  setError({});
  refresh();
}

QString DocumentListModel::importingName() const {
  return QFileInfo(importFile_).fileName();
}

void DocumentListModel::add(const QString& pathOrUrl) {
  const QUrl url(pathOrUrl.trimmed());
  const QString file = url.isLocalFile() ? url.toLocalFile() : pathOrUrl.trimmed();
  if (file.isEmpty()) {
    setError(tr("Type the path of the file to attach."));
    return;
  }
  if (databasePath_.isEmpty()) {
    setError(tr("The conversation database is not open, so no document can be attached."));
    return;
  }
  if (conversationId_ == 0) emit conversationNeeded(QFileInfo(file).fileName());
  if (conversationId_ == 0) {
    setError(tr("Start a conversation before attaching documents to it."));
    return;
  }
  setError({});
  waiting_.append(file);
  startNext();
}

// The picker's URLs become paths the way the model panel's do (localPathFromUrl): one that is
// not a local file gets that sentence instead of being tried as a path and failing later.
void DocumentListModel::addUrls(const QList<QUrl>& urls) {
  for (const QUrl& url : urls) {
    const LocalPath chosen = localPathFromUrl(url);
    if (!chosen.error.isEmpty()) {
      setError(chosen.error);
      continue;
    }
    add(chosen.path);
  }
}

void DocumentListModel::cancel() {
  waiting_.clear();
  cancel_.store(true);
}

void DocumentListModel::remove(qint64 documentId) {
  flint::store::Database* db = database();
  if (!db) return;
  try {
    flint::store::deleteDocument(*db, documentId);
  } catch (const std::exception& e) {
    flint::log::logger("ui")->error("could not remove document {}: {}", documentId, e.what());
    setError(tr("The document could not be removed: %1.").arg(errorClause(e)));
  }
  refresh();
}

void DocumentListModel::refresh() {
  std::vector<flint::store::Document> rows;
  flint::store::Database* db = conversationId_ > 0 ? database() : nullptr;
  if (db) {
    try {
      rows = flint::store::listDocuments(*db, conversationId_);
    } catch (const std::exception& e) {
      flint::log::logger("ui")->error("could not list documents: {}", e.what());
      setError(tr("The attached documents could not be read: %1.").arg(errorClause(e)));
    }
  }
  beginResetModel();
  rows_ = std::move(rows);
  endResetModel();
  recount();
  checkFiles();
}

void DocumentListModel::checkFiles() {
  if (checker_) {
    checkAgain_ = true;
    return;
  }
  // The store keeps no modification time, so a file of the same size is hashed (64 MiB at
  // most, off the GUI thread).
  auto files =
      std::make_shared<std::vector<std::pair<qint64, flint::documents::FileFingerprint>>>();
  auto paths = std::make_shared<std::vector<std::string>>();
  for (const auto& d : rows_) {
    if (d.sourcePath.empty()) continue;
    flint::documents::FileFingerprint print;
    print.sha256 = d.sha256;
    print.byteSize = std::uint64_t(d.byteSize);
    files->emplace_back(qint64(d.id), print);
    paths->push_back(d.sourcePath);
  }
  auto results = std::make_shared<QHash<qint64, QString>>();
  checker_ = QThread::create([files, paths, results] {
    for (std::size_t i = 0; i < files->size(); ++i) {
      const auto [id, print] = (*files)[i];
      try {
        switch (flint::documents::checkStaleness((*paths)[i], print)) {
          case flint::documents::Staleness::Unchanged:
            break;
          case flint::documents::Staleness::Changed:
            results->insert(id, tr("The file has changed since it was attached; the chat uses "
                                   "the attached copy. Attach it again to use the new one."));
            break;
          case flint::documents::Staleness::Missing:
            results->insert(id, tr("The file is no longer on disk; the chat uses the attached "
                                   "copy."));
            break;
        }
      } catch (const std::exception& e) {
        results->insert(id, tr("The file could not be compared with the attached copy: %1.")
                                .arg(QString::fromUtf8(e.what())));
      }
    }
  });
  connect(checker_, &QThread::finished, this, [this, results] {
    checker_->deleteLater();
    checker_ = nullptr;
    stale_ = *results;
    if (!rows_.empty()) emit dataChanged(index(0), index(int(rows_.size()) - 1), {StaleRole});
    emit filesChecked();
    if (std::exchange(checkAgain_, false)) checkFiles();
  });
  checker_->start();
}

void DocumentListModel::startNext() {
  if (importer_ || modelDir_.isEmpty()) {
    if (modelDir_.isEmpty() && !waiting_.isEmpty()) {
      waiting_.clear();
      setError(tr("Choose a model before attaching documents: its tokenizer counts them."));
    }
    return;
  }
  DocumentImportJob job;
  job.modelDir = modelDir_;
  if (tokenizerDir_ == modelDir_) job.tokenizer = tokenizer_;
  if (!waiting_.isEmpty()) {
    job.file = waiting_.takeFirst();
    job.databasePath = databasePath_;
    job.conversationId = conversationId_;
  } else if (tokenizerDir_ == modelDir_) {
    return;  // the tokenizer was read (or tried) and nothing waits
  }
  cancel_.store(false);
  setProgress(0);
  importFile_ = job.file;
  auto outcome = std::make_shared<DocumentImportOutcome>();
  // Progress crosses to this thread at most once per percent.
  auto shown = std::make_shared<int>(-1);
  const auto report = [this, shown](double share) {
    const int percent = int(share * 100);
    if (percent == *shown) return;
    *shown = percent;
    QMetaObject::invokeMethod(
        this, [this, share] { setProgress(share); }, Qt::QueuedConnection);
  };
  importer_ = QThread::create(
      [this, job, outcome, report] { *outcome = runDocumentImport(job, cancel_, report); });
  importer_->setObjectName(QStringLiteral("flint-document-import"));
  connect(importer_, &QThread::finished, this, [this, job, outcome] {
    importer_->deleteLater();
    importer_ = nullptr;
    importFile_.clear();
    if (job.modelDir == modelDir_) {
      tokenizer_ = outcome->tokenizer;
      tokenizerDir_ = job.modelDir;
      contextLength_ = outcome->contextLength;
      tokenizerError_ = outcome->tokenizer ? QString() : outcome->error;
    }
    // A tokenizer read for nothing in particular fails quietly (logged); an import says why.
    if (!job.file.isEmpty()) setError(outcome->error);
    setProgress(outcome->stored ? 1 : 0);
    emit importChanged();
    refresh();
    emit importFinished(outcome->stored ? qint64(outcome->stored->id) : 0);
    startNext();
  });
  emit importChanged();
  importer_->start();
}

void DocumentListModel::setProgress(double progress) {
  if (progress == progress_) return;
  progress_ = progress;
  emit progressChanged();
}

void DocumentListModel::setError(const QString& error) {
  if (error == error_) return;
  error_ = error;
  emit errorChanged();
}

void DocumentListModel::recount() {
  std::size_t total = 0;
  if (tokenizer_)
    for (const flint::store::Document& d : rows_)
      total +=
          flint::documents::documentBlockTokens(*tokenizer_, d.name, std::size_t(d.tokenCount));
  documentTokens_ = int(std::min<std::size_t>(total, INT_MAX));
  emit documentsChanged();
}

flint::store::Database* DocumentListModel::database() {
  if (db_) return &*db_;
  if (databasePath_.isEmpty()) return nullptr;
  try {
    db_.emplace(flint::store::Database::open(databasePath_.toStdString(),
                                             flint::store::secondaryConnection()));
  } catch (const std::exception& e) {
    flint::log::logger("ui")->error("documents: could not open the database: {}", e.what());
    setError(tr("The conversation database could not be opened: %1.").arg(errorClause(e)));
    return nullptr;
  }
  return &*db_;
}

}  // namespace flint::ui
