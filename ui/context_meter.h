#pragma once
// The composer's context meter: how many tokens the next prompt will take (the conversation
// so far, in the chosen mode, plus the text being typed) against the model's maximum context
// (config.json's max_position_embeddings). It counts through the model's own tokenizer and
// prompt encoder on a thread of its own (ContextCounter), a moment after the user stops
// typing, so the figures change as the user types while the GUI thread never tokenizes.
//
// The conversation is counted from the shown messages rather than taken from the engine's
// contextUsed: that figure exists only after a reply of this run, still holds the last reply's
// reasoning (which the next prompt drops) and does not follow a branch switch or an opened
// conversation. A reply still streaming is left out until it ends. The settings' system
// prompt is not counted.
//
// Attached documents come as one figure (their delimited blocks); the meter adds them to the
// prompt and says, by the same budget the prompt is built with, whether they fit whole.
#include "app/documents/document_budget.h"
#include "engine/tokenizer/prompt_encoder.h"
#include "ui/context_counter.h"

#include <QtQml/qqmlregistration.h>
#include <QAbstractItemModel>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QThread>
#include <QTimer>

namespace flint::ui {

class ContextMeter : public QObject {
  Q_OBJECT
  QML_ELEMENT
  // Inputs.
  Q_PROPERTY(QString modelDir READ modelDir WRITE setModelDir NOTIFY modelDirChanged)
  // The shown messages (roles "role", "content", "thinking", "streaming"): a MessageModel.
  Q_PROPERTY(QAbstractItemModel* messages READ messages WRITE setMessages NOTIFY messagesChanged)
  Q_PROPERTY(QString mode READ mode WRITE setMode NOTIFY modeChanged)
  Q_PROPERTY(QString text READ text WRITE setText NOTIFY textChanged)
  // What the attached documents take in the prompt (DocumentListModel::documentTokens).
  Q_PROPERTY(
      int documentTokens READ documentTokens WRITE setDocumentTokens NOTIFY documentTokensChanged)
  // The model: its maximum context, once its tokenizer is loaded.
  Q_PROPERTY(bool ready READ ready NOTIFY modelChanged)
  Q_PROPERTY(QString error READ error NOTIFY modelChanged)
  Q_PROPERTY(int max READ max NOTIFY modelChanged)
  Q_PROPERTY(bool shortForThinkMax READ shortForThinkMax NOTIFY modelChanged)
  Q_PROPERTY(int thinkMaxRecommendedContext READ thinkMaxRecommendedContext CONSTANT)
  // The counts.
  Q_PROPERTY(int used READ used NOTIFY countsChanged)
  Q_PROPERTY(int typed READ typed NOTIFY countsChanged)
  Q_PROPERTY(int total READ total NOTIFY countsChanged)
  Q_PROPERTY(double fraction READ fraction NOTIFY countsChanged)
  Q_PROPERTY(bool nearLimit READ nearLimit NOTIFY countsChanged)
  Q_PROPERTY(bool overLimit READ overLimit NOTIFY countsChanged)
  // Whether the documents fit whole with the question and room for the answer (planBudget),
  // and that in words; without documents, true and "".
  Q_PROPERTY(bool fitsWhole READ fitsWhole NOTIFY countsChanged)
  Q_PROPERTY(QString documentNote READ documentNote NOTIFY countsChanged)

 public:
  // DeepSeek recommends a context of at least 384K tokens for Think Max (deepseek-v4.md).
  static constexpr int kThinkMaxRecommendedContext = 384 * 1024;
  // From this share of the maximum on, the meter warns.
  static constexpr double kNearLimit = 0.9;
  // How long typing must pause before the text is counted.
  static constexpr int kTypingPauseMs = 150;

  explicit ContextMeter(QObject* parent = nullptr);
  ~ContextMeter() override;

  QString modelDir() const { return m_modelDir; }
  void setModelDir(const QString& dir);
  QAbstractItemModel* messages() const { return m_messages; }
  void setMessages(QAbstractItemModel* messages);
  QString mode() const { return m_mode; }
  void setMode(const QString& mode);
  QString text() const { return m_text; }
  void setText(const QString& text);
  int documentTokens() const { return m_documentTokens; }
  void setDocumentTokens(int tokens);

  bool ready() const { return m_ready; }
  QString error() const { return m_error; }
  int max() const { return m_max; }
  bool shortForThinkMax() const { return m_ready && m_max < kThinkMaxRecommendedContext; }
  int thinkMaxRecommendedContext() const { return kThinkMaxRecommendedContext; }

  // The conversation's prompt with the markers of the next question; the typed text's tokens.
  int used() const { return m_used; }
  int typed() const { return m_typed; }
  int total() const { return m_used + m_documentTokens + m_typed; }
  double fraction() const { return m_max > 0 ? double(total()) / m_max : 0; }
  bool nearLimit() const { return m_max > 0 && fraction() >= kNearLimit; }
  bool overLimit() const { return m_max > 0 && total() > m_max; }
  bool fitsWhole() const;
  QString documentNote() const;

 signals:
  void modelDirChanged();
  void messagesChanged();
  void modeChanged();
  void textChanged();
  void documentTokensChanged();
  void modelChanged();
  void countsChanged();

 private:
  void onLoaded(const QString& dir, qint64 maxContext);
  void onLoadFailed(const QString& dir, const QString& error);
  void onConversationCounted(quint64 ticket, qint64 tokens);
  void onTextCounted(quint64 ticket, qint64 tokens);
  // A message changed: recount unless it is a reply still streaming.
  void onMessagesChanged(const QModelIndex& first, const QModelIndex& last);
  void countConversation();
  void countText();
  void setModel(bool ready, const QString& error, int max);
  flint::documents::Budget documentBudget() const;

  QString m_modelDir;
  QPointer<QAbstractItemModel> m_messages;
  QString m_mode = QStringLiteral("non-think");
  QString m_text;
  int m_documentTokens = 0;

  bool m_ready = false;
  QString m_error;
  int m_max = 0;
  int m_used = 0;
  int m_typed = 0;
  // Each request gets a ticket; an answer older than the last one applied is dropped.
  quint64 m_conversationTicket = 0;
  quint64 m_conversationApplied = 0;
  quint64 m_textTicket = 0;
  quint64 m_textApplied = 0;

  QTimer m_typingPause;
  QTimer m_messagesSettle;  // a branch arrives as a reset and several changes: count once
  QThread m_thread;
  ContextCounter* m_counter;  // lives on m_thread; deleted after the thread ends
};

}  // namespace flint::ui
