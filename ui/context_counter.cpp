#include "ui/context_counter.h"

#include "engine/logging/log.h"
#include "engine/model/model_config.h"

#include <exception>
#include <filesystem>
#include <utility>

namespace flint::ui {

namespace {

std::string utf8(const QString& text) {
  return text.toStdString();
}

}  // namespace

ContextCounter::ContextCounter(QObject* parent) : QObject(parent) {}

// The encoder borrows the tokenizer, so it goes first.
ContextCounter::~ContextCounter() {
  m_encoder.reset();
}

void ContextCounter::load(const QString& modelDir) {
  m_encoder.reset();
  m_tokenizer.reset();
  const std::filesystem::path dir = utf8(modelDir);
  try {
    const flint::engine::ModelConfig config = flint::engine::loadModelConfig(dir / "config.json");
    m_tokenizer.emplace(flint::engine::Tokenizer::fromModelDir(dir));
    m_encoder.emplace(*m_tokenizer);
    emit loaded(modelDir, qint64(config.maxPositionEmbeddings));
  } catch (const std::exception& e) {
    m_encoder.reset();
    m_tokenizer.reset();
    flint::log::logger("ui")->warn("context meter: cannot count for {}: {}", dir.string(),
                                   e.what());
    QString why = QString::fromUtf8(e.what());
    while (why.endsWith(u'.')) why.chop(1);
    emit loadFailed(modelDir, tr("Tokens cannot be counted for this model: %1.").arg(why));
  }
}

void ContextCounter::requestConversation(quint64 ticket, std::vector<ContextTurn> turns,
                                         flint::engine::ThinkingMode mode) {
  {
    std::lock_guard lock(m_pendingMutex);
    m_pendingConversation = ConversationRequest{ticket, std::move(turns), mode};
  }
  QMetaObject::invokeMethod(this, &ContextCounter::countPending, Qt::QueuedConnection);
}

void ContextCounter::requestText(quint64 ticket, const QString& text) {
  {
    std::lock_guard lock(m_pendingMutex);
    m_pendingText = TextRequest{ticket, text};
  }
  QMetaObject::invokeMethod(this, &ContextCounter::countPending, Qt::QueuedConnection);
}

void ContextCounter::countPending() {
  std::optional<ConversationRequest> conversation;
  std::optional<TextRequest> text;
  {
    std::lock_guard lock(m_pendingMutex);
    conversation.swap(m_pendingConversation);
    text.swap(m_pendingText);
  }
  // A request taken by an earlier call leaves nothing here; without a tokenizer the meter
  // shows no counts, so nothing is answered.
  if (!m_tokenizer) return;
  try {
    if (conversation)
      emit conversationCounted(conversation->ticket, countConversation(*conversation));
    if (text) {
      const std::string bytes = utf8(text->text.trimmed());  // what Send would send
      const auto ids = m_tokenizer->encode(bytes, flint::engine::SpecialTokens::kPlainText);
      emit textCounted(text->ticket, qint64(ids.size()));
    }
  } catch (const std::exception& e) {
    flint::log::logger("ui")->warn("context meter: counting failed: {}", e.what());
  }
}

// The prompt of the next turn with an empty question: the conversation, its frame and the
// markers around the new text, whose own tokens the text count adds (message text is encoded
// on its own, so the two add up to the whole prompt).
qint64 ContextCounter::countConversation(const ConversationRequest& request) const {
  std::vector<flint::engine::ChatMessage> messages;
  messages.reserve(request.turns.size() + 1);
  for (const ContextTurn& turn : request.turns)
    messages.push_back({turn.role, utf8(turn.content), utf8(turn.thinking)});
  messages.push_back({flint::engine::ChatRole::kUser, std::string(), std::string()});
  return qint64(m_encoder->encode(messages, request.mode).ids.size());
}

}  // namespace flint::ui
