#pragma once
// The ContextMeter's worker: lives on the meter's own thread, holds the model's tokenizer and
// counts tokens there, so a long conversation or a large paste never stalls the GUI thread.
// Requests are slots, not a queue: a newer request of a kind replaces one not yet started, so
// however fast the user types, only the latest text is counted. Results go out as signals
// (queued to the meter), each with the ticket of the request it answers.
#include "engine/tokenizer/prompt_encoder.h"
#include "engine/tokenizer/tokenizer.h"

#include <QObject>
#include <QString>

#include <mutex>
#include <optional>
#include <vector>

namespace flint::ui {

// One message of the conversation as the prompt will carry it.
struct ContextTurn {
  flint::engine::ChatRole role = flint::engine::ChatRole::kUser;
  QString content;
  QString thinking;
};

class ContextCounter : public QObject {
  Q_OBJECT

 public:
  explicit ContextCounter(QObject* parent = nullptr);
  ~ContextCounter() override;

  // Run on the counter's thread (queue them): reads <dir>/tokenizer.json and config.json.
  void load(const QString& modelDir);
  // Safe from the GUI thread: ask for a count, replacing the same kind's unstarted request.
  // The conversation is counted as the prompt of its next turn (mode, turn markers, earlier
  // reasoning dropped) up to the new user text; the text is counted as that text alone.
  void requestConversation(quint64 ticket, std::vector<ContextTurn> turns,
                           flint::engine::ThinkingMode mode);
  void requestText(quint64 ticket, const QString& text);

 signals:
  void loaded(const QString& modelDir, qint64 maxContext);
  void loadFailed(const QString& modelDir, const QString& error);
  void conversationCounted(quint64 ticket, qint64 tokens);
  void textCounted(quint64 ticket, qint64 tokens);

 private:
  struct ConversationRequest {
    quint64 ticket = 0;
    std::vector<ContextTurn> turns;
    flint::engine::ThinkingMode mode = flint::engine::ThinkingMode::kNonThink;
  };
  struct TextRequest {
    quint64 ticket = 0;
    QString text;
  };
  // On the counter's thread: answers whatever requests wait.
  void countPending();
  qint64 countConversation(const ConversationRequest& request) const;

  std::optional<flint::engine::Tokenizer> m_tokenizer;
  std::optional<flint::engine::PromptEncoder> m_encoder;  // borrows m_tokenizer

  std::mutex m_pendingMutex;
  std::optional<ConversationRequest> m_pendingConversation;
  std::optional<TextRequest> m_pendingText;
};

}  // namespace flint::ui
