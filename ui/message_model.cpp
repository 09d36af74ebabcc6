#include "ui/message_model.h"

namespace flint::ui {
namespace {

QString word(std::string_view text) {
  return QString::fromUtf8(text.data(), qsizetype(text.size()));
}

// Stored by the ChatController with a reply's figures; older or imported messages lack it.
double thinkingSeconds(const nlohmann::json& stats) {
  if (!stats.is_object()) return 0;
  const auto it = stats.find("thinking_seconds");
  return it != stats.end() && it->is_number() ? it->get<double>() : 0;
}

}  // namespace

MessageModel::MessageModel(QObject* parent) : QAbstractListModel(parent) {}

int MessageModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : int(rows_.size());
}

QVariant MessageModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() < 0 || index.row() >= rowCount()) return {};
  const Row& r = rows_[std::size_t(index.row())];
  switch (role) {
    case MessageIdRole:
      return qint64(r.id);
    case RoleRole:
      return word(flint::store::toString(r.role));
    case ContentRole:
      return r.content;
    case ThinkingRole:
      return r.thinking;
    case ThinkingSecondsRole:
      return r.thinkingSeconds;
    case StreamingRole:
      return r.state == flint::store::MessageState::Streaming;
    case ModeRole:
      return r.mode;
    case SiblingIndexRole:
      return r.siblingIndex;
    case SiblingCountRole:
      return r.siblingCount;
    case StateRole:
      return word(flint::store::toString(r.state));
    case ErrorRole:
      return r.error;
    default:
      return {};
  }
}

QHash<int, QByteArray> MessageModel::roleNames() const {
  return {{MessageIdRole, "messageId"},
          {RoleRole, "role"},
          {ContentRole, "content"},
          {ThinkingRole, "thinking"},
          {ThinkingSecondsRole, "thinkingSeconds"},
          {StreamingRole, "streaming"},
          {ModeRole, "mode"},
          {SiblingIndexRole, "siblingIndex"},
          {SiblingCountRole, "siblingCount"},
          {StateRole, "state"},
          {ErrorRole, "error"}};
}

// The rows both branches start with are updated in place and only the rest is removed and
// inserted: a reset would rebuild every message's delegate (Markdown layout included), which
// held the GUI thread for tens of milliseconds on each send.
void MessageModel::setBranch(const std::vector<flint::store::PathEntry>& branch) {
  std::vector<Row> rows;
  rows.reserve(branch.size());
  for (const flint::store::PathEntry& entry : branch) rows.push_back(rowOf(entry));
  std::size_t common = 0;
  while (common < rows.size() && common < rows_.size() && rows[common].id == rows_[common].id)
    ++common;
  if (common < rows_.size()) {
    beginRemoveRows({}, int(common), int(rows_.size()) - 1);
    rows_.erase(rows_.begin() + std::ptrdiff_t(common), rows_.end());
    endRemoveRows();
  }
  // Only rows whose figures differ are announced: a changed row relays out its Markdown.
  for (std::size_t i = 0; i < common; ++i) {
    if (rows_[i] == rows[i]) continue;
    rows_[i] = std::move(rows[i]);
    emit dataChanged(index(int(i)), index(int(i)));
  }
  if (common < rows.size()) {
    beginInsertRows({}, int(common), int(rows.size()) - 1);
    std::move(rows.begin() + std::ptrdiff_t(common), rows.end(), std::back_inserter(rows_));
    endInsertRows();
  }
}

MessageModel::Row MessageModel::rowOf(const flint::store::PathEntry& entry) {
  const flint::store::Message& m = entry.message;
  Row r;
  r.id = m.id;
  r.role = m.role;
  r.content = QString::fromStdString(m.content);
  r.thinking = QString::fromStdString(m.thinking);
  r.thinkingSeconds = thinkingSeconds(m.stats);
  if (m.mode) r.mode = word(flint::store::toString(*m.mode));
  r.siblingIndex = entry.siblingIndex;
  r.siblingCount = entry.siblingCount;
  r.state = m.state;
  r.error = QString::fromStdString(m.error);
  return r;
}

void MessageModel::clear() {
  setBranch({});
}

void MessageModel::appendText(std::int64_t messageId, const QString& thinking,
                              const QString& answer) {
  const int row = rowOf(messageId);
  if (row < 0 || (thinking.isEmpty() && answer.isEmpty())) return;
  Row& r = rows_[std::size_t(row)];
  QList<int> roles;
  if (!thinking.isEmpty()) {
    r.thinking += thinking;
    roles << ThinkingRole;
  }
  if (!answer.isEmpty()) {
    r.content += answer;
    roles << ContentRole;
  }
  changed(row, roles);
}

void MessageModel::setThinkingSeconds(std::int64_t messageId, double seconds) {
  const int row = rowOf(messageId);
  if (row < 0) return;
  rows_[std::size_t(row)].thinkingSeconds = seconds;
  changed(row, {ThinkingSecondsRole});
}

void MessageModel::setState(std::int64_t messageId, flint::store::MessageState state,
                            const QString& error) {
  const int row = rowOf(messageId);
  if (row < 0) return;
  rows_[std::size_t(row)].state = state;
  rows_[std::size_t(row)].error = error;
  changed(row, {StateRole, StreamingRole, ErrorRole});
}

// From the end: the streaming reply is almost always the last row.
int MessageModel::rowOf(std::int64_t messageId) const {
  for (int row = int(rows_.size()) - 1; row >= 0; --row)
    if (rows_[std::size_t(row)].id == messageId) return row;
  return -1;
}

void MessageModel::changed(int row, const QList<int>& roles) {
  const QModelIndex at = index(row);
  emit dataChanged(at, at, roles);
}

}  // namespace flint::ui
