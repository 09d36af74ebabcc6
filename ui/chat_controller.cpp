#include "ui/chat_controller.h"

#include "app/paths.h"
#include "app/remote/remote_settings.h"
#include "app/store/settings.h"
#include "engine/logging/log.h"
#include "ui/document_request.h"

#include <QClipboard>
#include <QDir>
#include <QGuiApplication>
#include <QRandomGenerator>

#include <algorithm>
#include <climits>
#include <cmath>
#include <exception>
#include <utility>

namespace flint::ui {
namespace {

namespace store = flint::store;
namespace engine = flint::engine;

constexpr qsizetype kTitleLength = 40;

// The first line of the first message, cut near kTitleLength characters.
QString titleFrom(const QString& text) {
  QString line = text.trimmed().section(QLatin1Char('\n'), 0, 0).simplified();
  if (line.size() <= kTitleLength) return line;
  qsizetype cut = kTitleLength;
  if (line.at(cut - 1).isHighSurrogate()) --cut;
  return line.left(cut).trimmed() + QStringLiteral("…");
}

std::string utf8(const QString& text) {
  return text.toStdString();
}

store::ThinkingMode storedMode(const QString& mode) {
  return store::parseThinkingMode(utf8(mode)).value_or(store::ThinkingMode::NonThink);
}

QString modeName(store::ThinkingMode mode) {
  const std::string_view word = store::toString(mode);
  return QString::fromUtf8(word.data(), qsizetype(word.size()));
}

engine::ChatRole chatRole(store::Role role) {
  switch (role) {
    case store::Role::System:
      return engine::ChatRole::kSystem;
    case store::Role::User:
      return engine::ChatRole::kUser;
    case store::Role::Assistant:
      return engine::ChatRole::kAssistant;
  }
  return engine::ChatRole::kUser;
}

// What the message keeps of a reply's figures.
nlohmann::json statsJson(const engine::Stats& s, double thinkingSeconds) {
  nlohmann::json j = {{"prompt_tokens", s.promptTokens},
                      {"reused_tokens", s.reusedTokens},
                      {"prefill_tokens_per_second", s.prefillTokensPerSecond()},
                      {"generated_tokens", s.generatedTokens},
                      {"decode_tokens_per_second", s.decodeTokensPerSecond()},
                      {"context_used", s.contextUsed},
                      {"context_max", s.contextMax}};
  if (thinkingSeconds > 0) j["thinking_seconds"] = thinkingSeconds;
  if (s.speculating) {
    j["acceptance_rate"] = s.spec.acceptanceRate();
    j["mean_accepted_length"] = s.spec.meanAcceptedLength();
  }
  return j;
}

}  // namespace

ChatController::ChatController(QObject* parent)
    : QObject(parent),
      messages_(new MessageModel(this)),
      stats_(new StatsModel(this)),
      documents_(new DocumentListModel(this)),
      worker_(new EngineWorker) {
  engineThread_.setObjectName(QStringLiteral("flint-engine"));
  worker_->moveToThread(&engineThread_);
  connect(worker_, &EngineWorker::loading, this, &ChatController::onLoading);
  connect(worker_, &EngineWorker::loaded, this, &ChatController::onLoaded);
  connect(worker_, &EngineWorker::loadProgress, this, &ChatController::onLoadProgress);
  connect(worker_, &EngineWorker::loadFailed, this, &ChatController::onLoadFailed);
  connect(worker_, &EngineWorker::loadAbandoned, this,
          [this](quint64, const QString& keptDir) { onLoadAbandoned(keptDir); });
  connect(worker_, &EngineWorker::streamed, this, &ChatController::onStreamed);
  connect(worker_, &EngineWorker::servingChanged, this,
          [this](const QString& url, const QString& error) {
            serverUrl_ = url;
            serverError_ = error;
            emit servingChanged();
          });
  connect(worker_, &EngineWorker::finished, this, &ChatController::onFinished);
  // Attaching to a blank chat starts its conversation, titled after the file.
  connect(documents_, &DocumentListModel::conversationNeeded, this, [this](const QString& title) {
    if (service_) attempt("start a conversation", [&] { createConversation(title); });
  });
  engineThread_.start();
}

ChatController::~ChatController() {
  worker_->requestStop();
  engineThread_.quit();
  engineThread_.wait();
  delete worker_;
}

void ChatController::componentComplete() {
  if (databasePath_.isEmpty())
    setDatabasePath(QString::fromStdString(store::defaultDatabasePath().string()));
  if (!modelDir_.isEmpty()) return;
  // The endpoint the user chose last time, if any; the bundled model otherwise, and when the
  // endpoint does not answer (onLoadFailed).
  std::optional<flint::remote::StoredEndpoint> stored;
  if (service_)
    attempt("read the remote endpoint",
            [&] { stored = flint::remote::loadEndpoint(service_->database()); });
  if (stored && stored->inUse) {
    startedRemote_ = true;
    useRemote(QString::fromStdString(stored->endpoint.url),
              QString::fromStdString(stored->endpoint.apiKey),
              QString::fromStdString(stored->endpoint.model));
  } else {
    setModelDir(QString::fromStdString(app::defaultModelDir().string()));
  }
}

void ChatController::setDatabasePath(const QString& path) {
  if (path == databasePath_) return;
  if (busy_) {
    setError(tr("Stop the reply before opening another database."));
    return;
  }
  databasePath_ = path;
  emit databasePathChanged();
  reply_.reset();
  service_.reset();
  const bool opened = attempt("open the conversation database", [&] {
    std::string notice;
    service_.emplace(store::ConversationService::openOrRecover(utf8(path), notice));
    if (!notice.empty()) setError(QString::fromStdString(notice));
  });
  documents_->setDatabasePath(opened ? path : QString());
  setConversationId(0);
  messages_->clear();
  if (opened)
    setModeValue(modeName(store::effectiveSettings(service_->database(), {}).thinkingMode));
  readHostExpertBudget();
  readComputeChoice();
  emit conversationsChanged();
}

void ChatController::setModelDir(const QString& dir) {
  if (dir != modelDir_) loadModel(dir);
}

void ChatController::loadModel(const QString& dir) {
  setModelDirValue(dir);
  LoadRequest request;
  request.modelDir = dir;
  if (hostExpertBudget_ > 0) request.hostExpertBytes = std::uint64_t(hostExpertBudget_);
  request.device = computeDevice();
  request.ticket = ++lastTicket_;
  pendingLoad_ = request.ticket;
  worker_->wantLoad(request.ticket);
  setModelStatus(QStringLiteral("loading"), QDir(dir).dirName());
  setLoadPhase(busy_ ? tr("Waiting for the reply to finish…") : tr("Starting the load…"));
  QMetaObject::invokeMethod(
      worker_, [w = worker_, request] { w->load(request); }, Qt::QueuedConnection);
}

void ChatController::useRemote(const QString& url, const QString& apiKey, const QString& model) {
  LoadRequest request;
  flint::remote::RemoteEndpoint endpoint;
  endpoint.url = utf8(url.trimmed());
  endpoint.apiKey = utf8(apiKey.trimmed());
  endpoint.model = utf8(model.trimmed());
  request.modelDir = remoteModelKey(endpoint);
  request.remote = endpoint;
  request.ticket = ++lastTicket_;
  pendingLoad_ = request.ticket;
  worker_->wantLoad(request.ticket);
  setModelDirValue(request.modelDir);
  setModelStatus(QStringLiteral("loading"), model.trimmed());
  setLoadPhase(busy_ ? tr("Waiting for the reply to finish…")
                     : tr("Asking %1 for its models…").arg(url.trimmed()));
  QMetaObject::invokeMethod(
      worker_, [w = worker_, request] { w->load(request); }, Qt::QueuedConnection);
}

void ChatController::cancelLoad() {
  if (pendingLoad_ == 0) return;
  worker_->wantLoad(0);
  pendingLoad_ = 0;
  setLoadPhase({});
  // The worker's answer (loadAbandoned) names the model it kept; until then, the last one.
  showKeptModel(loadedDir_, QStringLiteral("idle"));
}

void ChatController::setHostExpertBudget(qint64 bytes) {
  if (!service_) {
    setError(tr("The conversation database is not open, so the budget cannot be saved."));
    return;
  }
  const bool saved = attempt("save the memory budget", [&] {
    store::SettingsOverrides global = store::globalSettings(service_->database());
    store::MemoryBudgets memory = global.memory.value_or(store::MemoryBudgets{});
    memory.hostBytes =
        bytes > 0 ? std::optional<std::uint64_t>(std::uint64_t(bytes)) : std::nullopt;
    global.memory = memory;
    store::saveGlobalSettings(service_->database(), global);
  });
  if (!saved) return;
  readHostExpertBudget();
  reloadLocalModel();
}

void ChatController::setComputeOnGpu(bool gpu) {
  if (gpu == computeOnGpu_) return;
  if (!service_) {
    setError(tr("The conversation database is not open, so the choice cannot be saved."));
    return;
  }
  const bool saved = attempt("save where the model computes", [&] {
    store::SettingsOverrides global = store::globalSettings(service_->database());
    global.compute = gpu ? store::ComputeChoice::Gpu : store::ComputeChoice::Cpu;
    store::saveGlobalSettings(service_->database(), global);
  });
  if (!saved) return;
  readComputeChoice();
  reloadLocalModel();
}

void ChatController::reloadLocalModel() {
  // A remote model has no local experts to budget and no device to compute on.
  if (!modelDir_.isEmpty() && loadedModelName(modelDir_) == QDir(modelDir_).dirName())
    loadModel(modelDir_);
}

void ChatController::open(qint64 conversationId) {
  if (!service_) return;
  if (attempt("open the conversation", [&] { showConversation(conversationId); })) setError({});
}

void ChatController::newConversation() {
  setConversationId(0);
  messages_->clear();
  setDocumentNote({});
  setError({});
}

void ChatController::send(const QString& text) {
  const QString message = text.trimmed();
  if (message.isEmpty() || !readyToReply()) return;
  attempt("send the message", [&] {
    if (conversationId_ == 0) createConversation(message);
    const std::int64_t question = service_->addUserMessage(conversationId_, utf8(message));
    engine::GenerateRequest request = requestSettings();
    startReply(service_->beginReply(conversationId_, question, replyInfo(request)),
               std::move(request));
  });
}

void ChatController::stop() {
  if (busy_) worker_->requestStop();
}

void ChatController::regenerate(qint64 messageId) {
  if (!readyToReply()) return;
  attempt("regenerate the reply", [&] {
    engine::GenerateRequest request = requestSettings();
    startReply(service_->regenerate(messageId, replyInfo(request)), std::move(request));
  });
}

void ChatController::editAndResend(qint64 messageId, const QString& text) {
  const QString message = text.trimmed();
  if (message.isEmpty() || !readyToReply()) return;
  attempt("send the edited message", [&] {
    const std::int64_t question = service_->editUserMessage(messageId, utf8(message));
    engine::GenerateRequest request = requestSettings();
    startReply(service_->beginReply(conversationId_, question, replyInfo(request)),
               std::move(request));
  });
}

void ChatController::showSibling(qint64 messageId, int step) {
  if (!service_ || conversationId_ == 0) return;
  if (busy_) {
    setError(tr("Stop the reply or let it finish before switching branches."));
    return;
  }
  attempt("switch branches", [&] {
    service_->showSibling(messageId, step);
    showConversation(conversationId_);
  });
}

void ChatController::setMode(const QString& mode) {
  if (!store::parseThinkingMode(utf8(mode))) {
    setError(tr("“%1” is not a thinking mode; choose non-think, high or max.").arg(mode));
    return;
  }
  if (mode == mode_) return;
  setModeValue(mode);
  if (!service_ || conversationId_ == 0) return;  // saved when the conversation is created
  attempt("save the thinking mode", [&] {
    store::SettingsOverrides overrides =
        store::conversationSettings(service_->database(), conversationId_);
    overrides.thinkingMode = storedMode(mode);
    store::saveConversationSettings(service_->database(), conversationId_, overrides);
  });
}

void ChatController::copyToClipboard(const QString& text) {
  QGuiApplication::clipboard()->setText(text);
}

void ChatController::onLoading(quint64 ticket, const QString& dir) {
  if (ticket == pendingLoad_)
    setLoadPhase(tr("Reading and checking the weights of %1…").arg(loadedModelName(dir)));
}

void ChatController::onLoadProgress(quint64 ticket, const QString& stage, double fraction) {
  if (ticket != pendingLoad_) return;
  setLoadPhase(tr("%1… %2 %").arg(stage).arg(qRound(fraction * 100)), fraction);
}

// The worker swapped models: true whatever the user did meanwhile.
void ChatController::onLoaded(quint64 ticket, const QString& dir, qint64 /*contextMax*/,
                              const QString& compute, const QString& devicePlan) {
  loadedDir_ = dir;
  if (compute != computeDescription_ || devicePlan != devicePlan_) {
    computeDescription_ = compute;
    devicePlan_ = devicePlan;
    emit computeChanged();
  }
  if (ticket == pendingLoad_) pendingLoad_ = 0;
  if (pendingLoad_ != 0) return;  // a newer load is on its way
  startedRemote_ = false;
  setLoadPhase({});
  setModelDirValue(dir);
  setModelStatus(QStringLiteral("ready"), loadedModelName(dir));
}

void ChatController::onLoadFailed(quint64 ticket, const QString& why, const QString& keptDir) {
  loadedDir_ = keptDir;
  if (ticket != pendingLoad_) return;
  pendingLoad_ = 0;
  setLoadPhase({});
  if (std::exchange(startedRemote_, false) && keptDir.isEmpty()) {
    // The endpoint chosen last time does not answer now: chat with the bundled model meanwhile.
    setError(tr("%1 The bundled model answers instead.").arg(why));
    loadModel(QString::fromStdString(app::defaultModelDir().string()));
    return;
  }
  showKeptModel(keptDir, QStringLiteral("failed"));
  setError(keptDir.isEmpty() ? why
                             : tr("%1 %2 is still in use.").arg(why, loadedModelName(keptDir)));
}

void ChatController::onLoadAbandoned(const QString& keptDir) {
  loadedDir_ = keptDir;
  if (pendingLoad_ == 0) showKeptModel(keptDir, QStringLiteral("idle"));
}

void ChatController::showKeptModel(const QString& keptDir, const QString& noneStatus) {
  if (keptDir.isEmpty()) {
    // A failed load keeps its name beside the error; an abandoned one leaves nothing.
    setModelStatus(noneStatus, noneStatus == QStringLiteral("failed") ? modelName_ : QString());
    return;
  }
  setModelDirValue(keptDir);
  setModelStatus(QStringLiteral("ready"), loadedModelName(keptDir));
}

void ChatController::onStreamed(const StreamBatch& batch) {
  if (!reply_) return;
  const std::int64_t id = reply_->messageId();
  const bool shown = replyConversation_ == conversationId_;
  if (!batch.thinking.isEmpty()) replyThought_ = true;
  if (!batch.answer.isEmpty() && replyThought_ && thinkingSeconds_ == 0) {
    thinkingSeconds_ = double(replyClock_.elapsed()) / 1000.0;
    if (shown) messages_->setThinkingSeconds(id, thinkingSeconds_);
  }
  if (batch.prefill) {
    const auto [done, total] = *batch.prefill;
    if (done == 0 || !readingClock_.isValid()) readingClock_.start();
    QString text;
    // Only a read long enough to watch gets a line; the rest is over before it could be read.
    if (done < total && total >= kReadingLineTokens) {
      text = tr("Reading %1 of %2 tokens").arg(done).arg(total);
      const double seconds = double(readingClock_.elapsed()) / 1000.0;
      if (done > 0 && seconds > 0.5)
        text +=
            tr(", about %1 s left").arg(std::ceil(seconds * double(total - done) / double(done)));
    }
    setReading(text);
  }
  if (!batch.thinking.isEmpty() || !batch.answer.isEmpty()) setReading({});
  if (shown) messages_->appendText(id, batch.thinking, batch.answer);
  if (batch.stats) stats_->update(*batch.stats);
  if (batch.residency) stats_->updateResidency(*batch.residency);
  attempt("save the reply", [&] { reply_->append(utf8(batch.answer), utf8(batch.thinking)); });
}

void ChatController::setServing(bool on, int port, const QString& apiKey) {
  if (on)
    QMetaObject::invokeMethod(
        worker_, [w = worker_, port, apiKey] { w->serve(port, apiKey); }, Qt::QueuedConnection);
  else
    QMetaObject::invokeMethod(
        worker_, [w = worker_] { w->stopServing(); }, Qt::QueuedConnection);
}

void ChatController::setReading(const QString& text) {
  if (text == reading_) return;
  reading_ = text;
  emit readingChanged();
}

void ChatController::onFinished(const ReplyOutcome& outcome) {
  if (!reply_) return;
  setReading({});
  const std::int64_t id = reply_->messageId();
  const store::MessageState state = !outcome.error.isEmpty() ? store::MessageState::Error
                                    : outcome.reason == engine::FinishReason::kCancelled
                                        ? store::MessageState::Interrupted
                                        : store::MessageState::Done;
  if (replyThought_ && thinkingSeconds_ == 0)
    thinkingSeconds_ = double(replyClock_.elapsed()) / 1000.0;
  attempt("save the reply", [&] {
    reply_->finish(state, statsJson(outcome.stats, thinkingSeconds_), utf8(outcome.error));
  });
  reply_.reset();
  if (replyConversation_ == conversationId_) {
    messages_->setThinkingSeconds(id, thinkingSeconds_);
    messages_->setState(id, state, outcome.error);
  }
  if (!outcome.error.isEmpty()) setError(outcome.error);
  setBusy(false);
  emit replyFinished(id);
  emit conversationsChanged();
}

template <typename Action>
bool ChatController::attempt(const char* failure, Action&& action) {
  try {
    action();
    return true;
  } catch (const std::exception& e) {
    flint::log::logger("ui")->error("could not {}: {}", failure, e.what());
    setError(tr("Could not %1: %2.").arg(QString::fromUtf8(failure), errorClause(e)));
    return false;
  }
}

bool ChatController::readyToReply() {
  if (!service_) {
    setError(tr("The conversation database is not open, so nothing can be saved."));
    return false;
  }
  if (busy_) return false;
  if (documents_->count() > 0 && !documents_->tokenizer()) {
    const QString why = documents_->tokenizerError();
    setError(why.isEmpty()
                 ? tr("The attached documents are still being counted; send again in a moment.")
                 : why);
    return false;
  }
  setError({});
  return true;
}

void ChatController::createConversation(const QString& firstMessage) {
  const std::int64_t id = service_->create(utf8(titleFrom(firstMessage)), utf8(modelName_));
  store::SettingsOverrides overrides;
  overrides.thinkingMode = storedMode(mode_);
  store::saveConversationSettings(service_->database(), id, overrides);
  setConversationId(id);
  emit conversationsChanged();
}

store::ReplyInfo ChatController::replyInfo(const engine::GenerateRequest& request) const {
  store::ReplyInfo info;
  info.mode = storedMode(mode_);
  info.model = utf8(modelName_);
  info.sampling = {{"temperature", request.sampling.temperature},
                   {"top_p", request.sampling.topP},
                   {"top_k", request.sampling.topK},
                   {"seed", request.sampling.seed},
                   {"max_drafts", request.maxDrafts}};
  return info;
}

// The conversation's settings as a request (its messages come with the reply's branch).
engine::GenerateRequest ChatController::requestSettings() {
  const store::Settings settings = store::effectiveSettings(
      service_->database(),
      conversationId_ ? std::optional<std::int64_t>(conversationId_) : std::nullopt);
  engine::GenerateRequest request;
  request.mode = engine::parseThinkingMode(utf8(mode_)).value_or(engine::ThinkingMode::kNonThink);
  request.sampling.temperature = float(settings.sampling.temperature);
  request.sampling.topP = float(settings.sampling.topP);
  request.sampling.topK = settings.sampling.topK;
  request.sampling.seed = settings.sampling.seed.value_or(QRandomGenerator::global()->generate64());
  // 0 in the settings means until the context is full; the engine stops there itself.
  request.maxTokens = settings.sampling.maxTokens > 0 ? settings.sampling.maxTokens : INT_MAX;
  request.maxDrafts = settings.speculation ? std::size_t(std::max(settings.maxDrafts, 0)) : 0;
  if (!settings.systemPrompt.empty())
    request.messages.push_back({engine::ChatRole::kSystem, settings.systemPrompt, ""});
  return request;
}

void ChatController::startReply(store::StreamingReply reply, engine::GenerateRequest request) {
  const std::int64_t replyId = reply.messageId();
  const std::vector<store::PathEntry> branch = service_->shownBranch(conversationId_);
  std::vector<store::PathEntry> history;
  for (const store::PathEntry& entry : branch) {
    if (entry.message.id == replyId) break;
    request.messages.push_back(
        {chatRole(entry.message.role), entry.message.content, entry.message.thinking});
    history.push_back(entry);
  }
  std::optional<flint::documents::DocumentPrompt> withDocuments;
  if (documents_->tokenizer())
    withDocuments =
        putDocuments(service_->database(), *documents_->tokenizer(),
                     std::size_t(documents_->contextLength()), conversationId_, history, request);
  setDocumentNote(withDocuments ? retrievalNote(*withDocuments) : QString());
  // The turn that carries the documents ends with the user's own words: the worker reads and
  // saves the documents' part before them. Later turns only resume it.
  std::optional<std::string> documentQuestion;
  if (withDocuments && !history.empty())
    documentQuestion = request.messages.back().content == withDocuments->userMessage
                           ? history.back().message.content
                           : std::string();
  // Held once the prompt is built: a reply dropped before then ends 'interrupted' in the store.
  reply_.emplace(std::move(reply));
  replyConversation_ = conversationId_;
  messages_->setBranch(branch);
  stats_->clear();
  replyClock_.start();
  replyThought_ = false;
  thinkingSeconds_ = 0;
  worker_->clearStop();
  setBusy(true);
  setReading({});
  QMetaObject::invokeMethod(
      worker_, [w = worker_, request, documentQuestion] { w->generate(request, documentQuestion); },
      Qt::QueuedConnection);
}

void ChatController::showConversation(std::int64_t conversationId) {
  // The store must hold everything already shown of a reply that is still streaming.
  if (reply_) reply_->flush();
  const std::vector<store::PathEntry> branch = service_->shownBranch(conversationId);
  const store::Settings settings =
      store::effectiveSettings(service_->database(), std::optional<std::int64_t>(conversationId));
  setConversationId(conversationId);
  setModeValue(modeName(settings.thinkingMode));
  messages_->setBranch(branch);
  setDocumentNote({});
}

void ChatController::setConversationId(std::int64_t id) {
  if (id == conversationId_) return;
  conversationId_ = id;
  documents_->setConversationId(id);
  emit conversationIdChanged();
}

void ChatController::setModeValue(const QString& mode) {
  if (mode == mode_) return;
  mode_ = mode;
  emit modeChanged();
}

void ChatController::setBusy(bool busy) {
  if (busy == busy_) return;
  busy_ = busy;
  emit busyChanged();
}

void ChatController::setModelStatus(const QString& status, const QString& name) {
  if (status == modelStatus_ && name == modelName_) return;
  modelStatus_ = status;
  modelName_ = name;
  emit modelStatusChanged();
}

void ChatController::setLoadPhase(const QString& phase, double fraction) {
  if (phase == loadPhase_ && fraction == loadFraction_) return;
  loadPhase_ = phase;
  loadFraction_ = fraction;
  emit loadPhaseChanged();
}

void ChatController::setModelDirValue(const QString& dir) {
  if (dir == modelDir_) return;
  modelDir_ = dir;
  documents_->setModelDir(dir);
  emit modelDirChanged();
}

void ChatController::readHostExpertBudget() {
  qint64 budget = 0;
  if (service_)
    attempt("read the memory budget", [&] {
      const auto bytes = store::effectiveSettings(service_->database(), {}).memory.hostBytes;
      budget = bytes ? qint64(*bytes) : 0;
    });
  if (budget == hostExpertBudget_) return;
  hostExpertBudget_ = budget;
  emit hostExpertBudgetChanged();
}

void ChatController::readComputeChoice() {
  bool gpu = false;
  if (service_)
    attempt("read where the model computes", [&] {
      gpu = store::effectiveSettings(service_->database(), {}).compute == store::ComputeChoice::Gpu;
    });
  if (gpu == computeOnGpu_) return;
  computeOnGpu_ = gpu;
  emit computeChanged();
}

void ChatController::setDocumentNote(const QString& note) {
  if (note == documentNote_) return;
  documentNote_ = note;
  emit documentNoteChanged();
}

void ChatController::setError(const QString& error) {
  if (error == error_) return;
  error_ = error;
  emit errorChanged();
}

}  // namespace flint::ui
