#include "ui/context_meter.h"

#include "ui/engine_worker.h"

#include <QLocale>

#include <algorithm>
#include <climits>
#include <vector>

namespace flint::ui {

namespace {

int roleOf(const QAbstractItemModel& model, const char* name) {
  return model.roleNames().key(QByteArray(name), -1);
}

bool isBlank(const QString& text) {
  return std::all_of(text.begin(), text.end(), [](QChar c) { return c.isSpace(); });
}

flint::engine::ChatRole chatRole(const QString& role) {
  if (role == u"assistant") return flint::engine::ChatRole::kAssistant;
  if (role == u"system") return flint::engine::ChatRole::kSystem;
  return flint::engine::ChatRole::kUser;
}

}  // namespace

ContextMeter::ContextMeter(QObject* parent) : QObject(parent), m_counter(new ContextCounter) {
  m_typingPause.setSingleShot(true);
  m_typingPause.setInterval(kTypingPauseMs);
  connect(&m_typingPause, &QTimer::timeout, this, &ContextMeter::countText);
  m_messagesSettle.setSingleShot(true);
  m_messagesSettle.setInterval(0);
  connect(&m_messagesSettle, &QTimer::timeout, this, &ContextMeter::countConversation);

  m_thread.setObjectName(QStringLiteral("flint-context-meter"));
  m_counter->moveToThread(&m_thread);
  connect(m_counter, &ContextCounter::loaded, this, &ContextMeter::onLoaded);
  connect(m_counter, &ContextCounter::loadFailed, this, &ContextMeter::onLoadFailed);
  connect(m_counter, &ContextCounter::conversationCounted, this,
          &ContextMeter::onConversationCounted);
  connect(m_counter, &ContextCounter::textCounted, this, &ContextMeter::onTextCounted);
  m_thread.start();
}

ContextMeter::~ContextMeter() {
  m_thread.quit();
  m_thread.wait();
  delete m_counter;
}

void ContextMeter::setModelDir(const QString& dir) {
  if (dir == m_modelDir) return;
  m_modelDir = dir;
  emit modelDirChanged();
  setModel(false, QString(), 0);
  if (dir.isEmpty()) return;
  if (isRemoteModel(dir)) {
    // An endpoint's tokenizer is not here: a count with another one would mislead.
    setModel(false,
             tr("The remote endpoint counts its own tokens; it reports them after each reply."), 0);
    return;
  }
  // The counter runs its calls in order: the counts below use the new tokenizer.
  QMetaObject::invokeMethod(
      m_counter, [counter = m_counter, dir] { counter->load(dir); }, Qt::QueuedConnection);
  countConversation();
  if (!isBlank(m_text)) countText();
}

void ContextMeter::setMessages(QAbstractItemModel* messages) {
  if (messages == m_messages) return;
  if (m_messages) disconnect(m_messages, nullptr, this, nullptr);
  m_messages = messages;
  if (messages) {
    const auto recount = [this] { m_messagesSettle.start(); };
    connect(messages, &QAbstractItemModel::modelReset, this, recount);
    connect(messages, &QAbstractItemModel::rowsInserted, this, recount);
    connect(messages, &QAbstractItemModel::rowsRemoved, this, recount);
    connect(messages, &QAbstractItemModel::dataChanged, this, &ContextMeter::onMessagesChanged);
  }
  emit messagesChanged();
  m_messagesSettle.start();
}

void ContextMeter::setMode(const QString& mode) {
  if (mode == m_mode) return;
  m_mode = mode;
  emit modeChanged();
  emit countsChanged();      // the answer's reserve follows the mode
  m_messagesSettle.start();  // Think Max adds its preamble
}

void ContextMeter::setText(const QString& text) {
  if (text == m_text) return;
  m_text = text;
  emit textChanged();
  if (isBlank(text)) {
    // Nothing to count (the box was just sent or cleared): no wait, and older answers lapse.
    m_typingPause.stop();
    m_textApplied = ++m_textTicket;
    if (m_typed != 0) {
      m_typed = 0;
      emit countsChanged();
    }
    return;
  }
  m_typingPause.start();
}

void ContextMeter::setDocumentTokens(int tokens) {
  if (tokens == m_documentTokens) return;
  m_documentTokens = tokens;
  emit documentTokensChanged();
  emit countsChanged();
}

bool ContextMeter::fitsWhole() const {
  return m_documentTokens == 0 || !m_ready || documentBudget().fitsWhole;
}

QString ContextMeter::documentNote() const {
  if (m_documentTokens == 0 || !m_ready) return {};
  const flint::documents::Budget budget = documentBudget();
  if (!budget.fitsWhole) return tr("Too long to read whole: the best passages will be used.");
  const QLocale locale;
  return tr("The documents take %1 tokens and are read whole; %2 tokens are kept for the answer.")
      .arg(locale.toString(m_documentTokens), locale.toString(qint64(budget.reserveTokens)));
}

// The arithmetic the ChatController's prompt follows (buildDocumentPrompt), on the counts here.
flint::documents::Budget ContextMeter::documentBudget() const {
  flint::documents::BudgetInput input;
  input.contextLength = std::size_t(m_max);
  input.mode = flint::engine::parseThinkingMode(m_mode.toStdString())
                   .value_or(flint::engine::ThinkingMode::kNonThink);
  input.documentTokens = {std::size_t(m_documentTokens)};
  input.questionTokens = std::size_t(m_typed);
  input.conversationTokens = std::size_t(m_used);
  return flint::documents::planBudget(input);
}

void ContextMeter::onLoaded(const QString& dir, qint64 maxContext) {
  if (dir != m_modelDir) return;
  setModel(true, QString(), int(std::min<qint64>(maxContext, INT_MAX)));
}

void ContextMeter::onLoadFailed(const QString& dir, const QString& error) {
  if (dir != m_modelDir) return;
  setModel(false, error, 0);
}

void ContextMeter::onConversationCounted(quint64 ticket, qint64 tokens) {
  if (ticket <= m_conversationApplied) return;
  m_conversationApplied = ticket;
  if (int(tokens) == m_used) return;
  m_used = int(tokens);
  emit countsChanged();
}

void ContextMeter::onTextCounted(quint64 ticket, qint64 tokens) {
  if (ticket <= m_textApplied) return;
  m_textApplied = ticket;
  if (int(tokens) == m_typed) return;
  m_typed = int(tokens);
  emit countsChanged();
}

void ContextMeter::onMessagesChanged(const QModelIndex& first, const QModelIndex& last) {
  const int streaming = roleOf(*m_messages, "streaming");
  for (int row = first.row(); row <= last.row(); ++row) {
    if (!m_messages->index(row, 0).data(streaming).toBool()) {
      m_messagesSettle.start();
      return;
    }
  }
}

void ContextMeter::countConversation() {
  if (m_modelDir.isEmpty()) return;
  std::vector<ContextTurn> turns;
  if (m_messages) {
    const int role = roleOf(*m_messages, "role");
    const int content = roleOf(*m_messages, "content");
    const int thinking = roleOf(*m_messages, "thinking");
    const int streaming = roleOf(*m_messages, "streaming");
    const int rows = m_messages->rowCount();
    turns.reserve(std::size_t(rows));
    for (int row = 0; row < rows; ++row) {
      const QModelIndex at = m_messages->index(row, 0);
      if (at.data(streaming).toBool()) continue;
      // QStrings share their text: the UTF-8 copies are made on the counter's thread.
      turns.push_back({chatRole(at.data(role).toString()), at.data(content).toString(),
                       at.data(thinking).toString()});
    }
  }
  const auto mode = flint::engine::parseThinkingMode(m_mode.toStdString())
                        .value_or(flint::engine::ThinkingMode::kNonThink);
  m_counter->requestConversation(++m_conversationTicket, std::move(turns), mode);
}

void ContextMeter::countText() {
  if (m_modelDir.isEmpty() || isBlank(m_text)) return;
  m_counter->requestText(++m_textTicket, m_text);
}

void ContextMeter::setModel(bool ready, const QString& error, int max) {
  if (ready == m_ready && error == m_error && max == m_max) return;
  m_ready = ready;
  m_error = error;
  m_max = max;
  emit modelChanged();
  emit countsChanged();  // the fraction and the limits follow the maximum
}

}  // namespace flint::ui
