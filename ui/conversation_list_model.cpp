#include "ui/conversation_list_model.h"

#include "app/store/conversations.h"
#include "engine/logging/log.h"

#include <algorithm>
#include <exception>

namespace flint::ui {
namespace {

// The date group of a conversation updated at `updated`, as the sidebar's section header
// says it. Calendar days in local time: "Yesterday" starts at midnight, not 24 hours ago.
QString sectionOf(const QDateTime& updated, const QDate& today) {
  const qint64 daysAgo = updated.date().daysTo(today);
  if (daysAgo <= 0) return ConversationListModel::tr("Today");
  if (daysAgo == 1) return ConversationListModel::tr("Yesterday");
  if (daysAgo <= 7) return ConversationListModel::tr("Previous 7 days");
  return ConversationListModel::tr("Older");
}

QString defaultDatabasePath() {
  return QString::fromStdString(flint::store::defaultDatabasePath().string());
}

QString fromUtf8(const std::string& text, std::size_t begin, std::size_t end) {
  return QString::fromUtf8(text.data() + begin, qsizetype(end - begin));
}

// The snippet as rich text: the matched words in <b>, everything else HTML-escaped so a
// message holding markup shows as the text it is.
QString richSnippet(const flint::store::SearchHit& hit) {
  QString html;
  std::size_t at = 0;
  for (const auto& [begin, end] : hit.highlights) {
    if (begin < at || end > hit.snippet.size()) continue;  // malformed: show it plain
    html += fromUtf8(hit.snippet, at, begin).toHtmlEscaped();
    html += QStringLiteral("<b>") + fromUtf8(hit.snippet, begin, end).toHtmlEscaped() +
            QStringLiteral("</b>");
    at = end;
  }
  html += fromUtf8(hit.snippet, at, hit.snippet.size()).toHtmlEscaped();
  return html;
}

}  // namespace

ConversationListModel::ConversationListModel(QObject* parent)
    : QAbstractListModel(parent), m_databasePath(defaultDatabasePath()) {}

ConversationListModel::~ConversationListModel() = default;

int ConversationListModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : int(m_rows.size());
}

QVariant ConversationListModel::data(const QModelIndex& index, int role) const {
  if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
    return {};
  const Row& row = m_rows[std::size_t(index.row())];
  switch (role) {
    case ConversationIdRole:
      return row.conversationId;
    case Qt::DisplayRole:
    case TitleRole:
      return row.title;
    case PinnedRole:
      return row.pinned;
    case SectionRole:
      return row.section;
    case UpdatedAtRole:
      return row.updatedAt;
    case SnippetRole:
      return row.snippet;
    case MessageIdRole:
      return row.messageId;
    default:
      return {};
  }
}

QHash<int, QByteArray> ConversationListModel::roleNames() const {
  return {{ConversationIdRole, "conversationId"},
          {TitleRole, "title"},
          {PinnedRole, "pinned"},
          {SectionRole, "section"},
          {UpdatedAtRole, "updatedAt"},
          {SnippetRole, "snippet"},
          {MessageIdRole, "messageId"}};
}

void ConversationListModel::setDatabasePath(const QString& path) {
  const QString file = path.isEmpty() ? defaultDatabasePath() : path;
  if (file == m_databasePath) return;
  m_databasePath = file;
  m_service.reset();
  replaceRows({});  // the old file's rows, until the new one is read
  emit databasePathChanged();
  if (m_componentComplete) refresh();
}

void ConversationListModel::setCurrentConversationId(qint64 id) {
  if (id == m_currentConversationId) return;
  m_currentConversationId = id;
  emit currentConversationIdChanged();
}

int ConversationListModel::undoSeconds() const {
  return int(flint::store::ConversationService::kUndoWindow.count());
}

void ConversationListModel::refresh() {
  std::vector<Row> rows;
  if (attempt("read the conversations", [&] { rows = readRows(); })) replaceRows(std::move(rows));
}

void ConversationListModel::setSearch(const QString& text) {
  if (text == m_searchText) return;
  m_searchText = text;
  emit searchTextChanged();
  refresh();
}

void ConversationListModel::rename(qint64 conversationId, const QString& title) {
  const QString trimmed = title.trimmed();
  if (trimmed.isEmpty()) return;  // an empty title would leave nothing to click on
  if (attempt("rename the conversation",
              [&] { m_service->rename(conversationId, trimmed.toStdString()); }))
    refresh();
}

void ConversationListModel::setPinned(qint64 conversationId, bool pinned) {
  if (attempt("pin the conversation", [&] {
        flint::store::setConversationPinned(m_service->database(), conversationId, pinned);
      }))
    refresh();
}

void ConversationListModel::remove(qint64 conversationId) {
  const QString title = titleOf(conversationId);
  if (!attempt("delete the conversation", [&] { m_service->remove(conversationId); })) return;
  refresh();
  emit removed(conversationId, title);
}

void ConversationListModel::undoRemove(qint64 conversationId) {
  if (attempt("restore the conversation", [&] { m_service->undoRemove(conversationId); }))
    refresh();
}

void ConversationListModel::select(qint64 conversationId) {
  setCurrentConversationId(conversationId);
  emit selected(conversationId);
}

void ConversationListModel::classBegin() {
  m_componentComplete = false;
}

void ConversationListModel::componentComplete() {
  m_componentComplete = true;
  refresh();
}

std::vector<ConversationListModel::Row> ConversationListModel::readRows() {
  std::vector<Row> rows;
  if (searching()) {
    for (const auto& hit : m_service->search(m_searchText.toStdString())) {
      Row row;
      row.conversationId = hit.conversationId;
      row.title = QString::fromStdString(hit.conversationTitle);
      row.snippet = richSnippet(hit);
      row.messageId = hit.messageId;
      rows.push_back(std::move(row));
    }
    return rows;
  }
  const QDate today = QDate::currentDate();
  for (const auto& conversation : m_service->list()) {
    Row row;
    row.conversationId = conversation.id;
    row.title = QString::fromStdString(conversation.title);
    row.pinned = conversation.pinned;
    row.updatedAt = QDateTime::fromMSecsSinceEpoch(conversation.updatedAt);
    row.section = conversation.pinned ? tr("Pinned") : sectionOf(row.updatedAt, today);
    rows.push_back(std::move(row));
  }
  return rows;
}

// The list changes by the smallest edit its ends allow: rows kept at both ends change in place
// (only those whose data differs are announced), the middle is removed and inserted. A new
// conversation at the top is one insert, a deleted one one removal, and the list keeps its
// scroll position; a reset would rebuild every delegate on each send.
void ConversationListModel::replaceRows(std::vector<Row> rows) {
  const auto same = [](const Row& a, const Row& b) { return a.conversationId == b.conversationId; };
  const std::size_t oldSize = m_rows.size(), newSize = rows.size();
  std::size_t head = 0;
  while (head < oldSize && head < newSize && same(m_rows[head], rows[head])) ++head;
  std::size_t tail = 0;
  while (tail < oldSize - head && tail < newSize - head &&
         same(m_rows[oldSize - 1 - tail], rows[newSize - 1 - tail]))
    ++tail;
  const int before = count();
  if (oldSize - head - tail > 0) {
    beginRemoveRows({}, int(head), int(oldSize - tail) - 1);
    m_rows.erase(m_rows.begin() + std::ptrdiff_t(head),
                 m_rows.begin() + std::ptrdiff_t(oldSize - tail));
    endRemoveRows();
  }
  if (newSize - head - tail > 0) {
    beginInsertRows({}, int(head), int(newSize - tail) - 1);
    m_rows.insert(m_rows.begin() + std::ptrdiff_t(head),
                  std::make_move_iterator(rows.begin() + std::ptrdiff_t(head)),
                  std::make_move_iterator(rows.begin() + std::ptrdiff_t(newSize - tail)));
    endInsertRows();
  }
  for (std::size_t i = 0; i < newSize; ++i) {
    if (i >= head && i < newSize - tail) continue;  // just inserted
    if (m_rows[i] == rows[i]) continue;
    m_rows[i] = std::move(rows[i]);
    emit dataChanged(index(int(i)), index(int(i)));
  }
  if (count() != before) emit countChanged();
}

QString ConversationListModel::titleOf(qint64 conversationId) const {
  for (const Row& row : m_rows)
    if (row.conversationId == conversationId) return row.title;
  return {};
}

template <typename Call>
bool ConversationListModel::attempt(const char* doing, Call&& call) {
  try {
    if (!m_service)
      m_service = std::make_unique<flint::store::ConversationService>(
          std::filesystem::path(m_databasePath.toStdString()));
    call();
    setErrorMessage({});
    return true;
  } catch (const std::exception& e) {
    flint::log::logger("ui")->error("Could not {}: {}", doing, e.what());
    QString message = QStringLiteral("Could not %1: %2").arg(QLatin1String(doing), e.what());
    if (!message.endsWith(u'.')) message += u'.';
    setErrorMessage(message);
    return false;
  }
}

void ConversationListModel::setErrorMessage(const QString& message) {
  if (message == m_errorMessage) return;
  m_errorMessage = message;
  emit errorMessageChanged();
}

}  // namespace flint::ui
